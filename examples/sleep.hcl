# A long-running service that does nothing but sleep; stop it with
# `nomad job stop sleep` to see SIGTERM delivered through the task's PID 1.
job "sleep" {
  group "sleep" {
    task "sleep" {
      driver = "pledge"

      config {
        command  = "sleep"
        args     = ["infinity"]
        promises = "stdio"
      }
    }
  }
}
