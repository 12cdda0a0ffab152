// Package driver is the Nomad task driver "pledge": it runs each task's
// command in a pledge-style sandbox (seccomp promises and Landlock unveils
// applied by the sandbox shim), inside private pid/ipc/mount namespaces with a
// tiny init as PID 1 (nsexec), in the task's cgroup (cgroup), and reports
// denied syscalls as task events through an in-process seccomp
// user-notification supervisor per task.
//
// The driver implements nomadplugin.Driver and never touches protobuf. Every
// task keeps running when the plugin process dies: what recovery needs (the
// init's pid and start time, the cgroup, the decoded task config) travels in
// the handle's driver_state, and exit statuses are read from a file the task
// cannot write.
package driver
