# ps inside the task's private pid namespace sees only the task's own
# processes: its PID 1 and ps itself.
job "ps" {
  type = "batch"

  group "ps" {
    task "ps" {
      driver = "pledge"
      user   = "root"

      config {
        command  = "ps"
        args     = ["aux"]
        promises = "stdio rpath exec"
        unveil   = ["r:/proc"]
      }
    }
  }
}
