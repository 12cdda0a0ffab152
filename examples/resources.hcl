# Read back the limits the driver wrote into each task's cgroup (cgroup v2
# paths; on v1 the same values are memory.limit_in_bytes and cpu.shares).
job "resources" {
  type = "batch"

  group "resources" {
    task "memory" {
      driver = "pledge"

      config {
        command  = "cat"
        args     = ["/sys/fs/cgroup/nomad.slice/share.slice/${NOMAD_ALLOC_ID}.${NOMAD_TASK_NAME}.scope/memory.max"]
        promises = "stdio rpath"
        unveil   = ["r:/sys/fs/cgroup/nomad.slice"]
      }

      resources {
        cpu    = 100
        memory = 200
      }
    }

    task "oversubscribed" {
      driver = "pledge"

      config {
        command  = "cat"
        args     = ["/sys/fs/cgroup/nomad.slice/share.slice/${NOMAD_ALLOC_ID}.${NOMAD_TASK_NAME}.scope/memory.low"]
        promises = "stdio rpath"
        unveil   = ["r:/sys/fs/cgroup/nomad.slice"]
      }

      resources {
        cpu        = 100
        memory     = 150
        memory_max = 250
      }
    }

    task "cores" {
      driver = "pledge"

      config {
        command  = "cat"
        args     = ["/sys/fs/cgroup/nomad.slice/reserve.slice/${NOMAD_ALLOC_ID}.${NOMAD_TASK_NAME}.scope/cpuset.cpus"]
        promises = "stdio rpath"
        unveil   = ["r:/sys/fs/cgroup/nomad.slice"]
      }

      resources {
        cores = 1
      }
    }
  }
}
