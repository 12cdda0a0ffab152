# Agent configuration for trying the pledge driver with `nomad agent -dev`.
# The plugin binary must sit in plugin_dir under the name nomad-pledge-driver.
plugin "nomad-pledge-driver" {
  config {
    # Tasks without a `user` run as this account.
    default_user = "nobody"

    # Operator policy: jobs cannot ask for more than this.
    allowed_promises = "stdio rpath wpath cpath flock tty inet dns unix sendfd recvfd proc exec prot_exec vminfo tmppath"
    allowed_unveil   = ["/etc", "/usr", "/proc", "/sys/fs/cgroup", "/tmp", "/var/lib/nomad", "/opt/nomad"]
    allowed_caps     = ["net_bind_service"]

    # Refuse to run tasks when the kernel has no Landlock: unveil would
    # silently do nothing otherwise.
    require_landlock = true
  }
}
