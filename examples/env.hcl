# Print the task's environment: the smallest useful task.
job "env" {
  type = "batch"

  group "env" {
    task "env" {
      driver = "pledge"

      config {
        command  = "env"
        promises = "stdio rpath"
      }
    }
  }
}
