# Python's built-in web server on a Nomad-assigned port, able to read only
# its task directory and /etc/mime.types.
job "http" {
  group "http" {
    network {
      port "http" {}
    }

    task "server" {
      driver = "pledge"
      user   = "nobody"

      config {
        command    = "python3"
        args       = ["-m", "http.server", "${NOMAD_PORT_http}", "--bind", "127.0.0.1", "--directory", "${NOMAD_TASK_DIR}"]
        promises   = "stdio rpath inet"
        unveil     = ["r:/etc/mime.types", "r:${NOMAD_TASK_DIR}"]
        importance = "low"
      }

      template {
        destination = "local/index.html"
        data        = "<!doctype html><title>pledge</title><p>served from a sandbox</p>\n"
      }
    }
  }
}
