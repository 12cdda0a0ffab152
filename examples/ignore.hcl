# A task that ignores SIGINT and SIGTERM: the driver must still stop it by
# killing its cgroup once kill_timeout has passed.
job "ignore" {
  group "ignore" {
    task "ignore" {
      driver       = "pledge"
      kill_timeout = "3s"

      config {
        command  = "python3"
        args     = ["${NOMAD_TASK_DIR}/ignore.py"]
        promises = "stdio rpath tty"
        unveil   = ["r:${NOMAD_TASK_DIR}"]
      }

      template {
        destination = "local/ignore.py"
        data        = <<EOH
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring SIGINT and SIGTERM", flush=True)
signal.pause()
EOH
      }
    }

    restart {
      attempts = 0
      mode     = "fail"
    }
  }
}
