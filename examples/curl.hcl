# Fetch a page with curl under the smallest promise set that lets it resolve,
# connect and write the body to stdout.
job "curl" {
  type = "batch"

  meta {
    url = "https://example.com/"
  }

  group "curl" {
    task "curl" {
      driver = "pledge"

      config {
        command  = "curl"
        args     = ["--silent", "--show-error", "--fail", "${NOMAD_META_url}"]
        promises = "stdio rpath inet dns sendfd"
        unveil   = ["r:${NOMAD_TASK_DIR}"]
      }
    }
  }
}
