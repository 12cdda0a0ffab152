# Show which cgroup the task was placed in.
job "cgroup" {
  type = "batch"

  group "cgroup" {
    task "cat" {
      driver = "pledge"

      config {
        command  = "cat"
        args     = ["/proc/self/cgroup"]
        promises = "stdio rpath"
        unveil   = ["r:/proc/self/cgroup"]
      }
    }
  }
}
