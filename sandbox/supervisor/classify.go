package supervisor

import "github.com/nomad-pledge-driver/nomad-pledge-driver/promises"

// verdict is the supervisor's answer to one notification.
type verdict int

const (
	// verdictDeny fails the call with EPERM: a violation.
	verdictDeny verdict = iota
	// verdictContinue lets the kernel run the call (loader phase only).
	verdictContinue
	// verdictSucceed returns 0 without running the call: the preload's
	// prctl(LoaderDoneOption), which the kernel would reject.
	verdictSucceed
)

func (v verdict) String() string {
	switch v {
	case verdictContinue:
		return "continue"
	case verdictSucceed:
		return "succeed"
	}
	return "deny"
}

// classifier decides notifications with the filter's own rule model
// (promises.Evaluate), so it can never let through a call the filter did not
// route to it for the loader's sake.
type classifier struct {
	cfg Config
	// loaderSet and loaderOpts describe the loader's filter: the user's
	// promises plus the loader promises, with nothing routed.
	loaderSet  promises.Set
	loaderOpts promises.Options
	prctlNr    uint32
	loaderPID  int
	inLoader   bool
}

// newClassifier starts in the loader phase when the filter routes loader
// promises, for the task whose pid (as this process sees it) is loaderPID.
func newClassifier(cfg Config, loaderPID int) *classifier {
	lo := cfg.Options
	lo.Loader = 0
	nr, _ := promises.SyscallNumber(cfg.Arch, "prctl")
	return &classifier{
		cfg:        cfg,
		loaderSet:  cfg.Set | cfg.Options.Loader,
		loaderOpts: lo,
		prctlNr:    nr,
		loaderPID:  loaderPID,
		inLoader:   cfg.Options.Loader != 0 && loaderPID > 0,
	}
}

// classify answers a call by thread pid. A call is let through only while
// the loader phase lasts, only for the loader's pid, and only if the filter
// routed it (USER_NOTIF) and the loader's promises allow it.
func (c *classifier) classify(pid int, d promises.Data) verdict {
	if c.isLoaderDone(d) {
		c.inLoader = false
		return verdictSucceed
	}
	if c.inLoader && pid == c.loaderPID &&
		promises.Evaluate(c.cfg.Set, c.cfg.Options, d) == promises.ActionNotify &&
		promises.Evaluate(c.loaderSet, c.loaderOpts, d) == promises.ActionAllow {
		return verdictContinue
	}
	return verdictDeny
}

// isLoaderDone recognises prctl(LoaderDoneOption, …), which the filter
// routes here only when it has a loader phase. Any thread may end the phase:
// ending it early only takes permissions away.
func (c *classifier) isLoaderDone(d promises.Data) bool {
	return c.cfg.Options.Loader != 0 && d.Arch == promises.AuditArch(c.cfg.Arch) &&
		d.Nr == c.prctlNr && uint32(d.Args[0]) == promises.LoaderDoneOption
}
