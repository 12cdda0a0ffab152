# Reading /etc/passwd must fail: nothing unveils it, so Landlock denies the
# open with EACCES even though the task runs as root with rpath.
job "passwd" {
  type = "batch"

  group "passwd" {
    task "cat" {
      driver = "pledge"
      user   = "root"

      config {
        command  = "cat"
        args     = ["/etc/passwd"]
        promises = "stdio rpath"
      }
    }

    restart {
      attempts = 0
      mode     = "fail"
    }
  }
}
