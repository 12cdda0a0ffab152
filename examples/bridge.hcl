# The web server again, inside the group's bridge network namespace that
# Nomad creates; the driver joins it without external tools.
job "bridge" {
  group "bridge" {
    network {
      mode = "bridge"
      port "http" {
        to = 8181
      }
    }

    task "server" {
      driver = "pledge"
      user   = "nobody"

      config {
        command  = "python3"
        args     = ["-m", "http.server", "8181", "--directory", "${NOMAD_TASK_DIR}"]
        promises = "stdio rpath inet"
        unveil   = ["r:/etc/mime.types", "r:${NOMAD_TASK_DIR}"]
      }

      template {
        destination = "local/index.html"
        data        = "<!doctype html><title>bridge</title><p>hello from the group netns</p>\n"
      }
    }
  }
}
