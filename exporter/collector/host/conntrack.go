package host

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// conntrack (/proc/sys/net/netfilter/nf_conntrack_{count,max}, and
// /proc/net/stat/nf_conntrack through procfs, summed over CPUs).
var (
	conntrackEntriesDesc = desc("node_nf_conntrack_entries", "Number of currently allocated flow entries for connection tracking.")
	conntrackLimitDesc   = desc("node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.")
	conntrackFoundDesc   = desc("node_nf_conntrack_stat_found", "Number of searched entries which were successful.")
	conntrackInvalidDesc = desc("node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked.")
	conntrackIgnoreDesc  = desc("node_nf_conntrack_stat_ignore", "Number of packets seen which are already connected to a conntrack entry.")
	conntrackInsertDesc  = desc("node_nf_conntrack_stat_insert", "Number of entries inserted into the list.")
	conntrackInsFailDesc = desc("node_nf_conntrack_stat_insert_failed", "Number of entries for which list insertion was attempted but failed.")
	conntrackDropDesc    = desc("node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure.")
	conntrackEarlyDesc   = desc("node_nf_conntrack_stat_early_drop", "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.")
	conntrackRestartDesc = desc("node_nf_conntrack_stat_search_restart", "Number of conntrack table lookups which had to be restarted due to hashtable resizes.")
)

func newConntrackCollector(hfs hostFS, logger *slog.Logger) simple {
	return simple{name: Conntrack, update: func(ch chan<- prometheus.Metric) error {
		err := updateConntrack(hfs, ch)
		if errors.Is(err, fs.ErrNotExist) {
			// nf_conntrack is not loaded: nothing to report, which is no fault.
			logger.Debug("conntrack probably not loaded", "err", err)
			return errNoData
		}
		return err
	}}
}

func updateConntrack(hfs hostFS, ch chan<- prometheus.Metric) error {
	for _, f := range []struct {
		file string
		desc *prometheus.Desc
	}{{"nf_conntrack_count", conntrackEntriesDesc}, {"nf_conntrack_max", conntrackLimitDesc}} {
		v, err := hfs.readUint(hfs.procPath("sys", "net", "netfilter", f.file))
		if err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(f.desc, prometheus.GaugeValue, float64(v))
	}
	if hfs.procfsErr != nil {
		return hfs.procfsErr
	}
	perCPU, err := hfs.procfs.ConntrackStat()
	if err != nil {
		return err
	}
	var found, invalid, ignore, insert, insertFailed, drop, earlyDrop, searchRestart uint64
	for _, s := range perCPU {
		found += s.Found
		invalid += s.Invalid
		ignore += s.Ignore
		insert += s.Insert
		insertFailed += s.InsertFailed
		drop += s.Drop
		earlyDrop += s.EarlyDrop
		searchRestart += s.SearchRestart
	}
	for _, m := range []struct {
		desc *prometheus.Desc
		v    uint64
	}{
		{conntrackFoundDesc, found}, {conntrackInvalidDesc, invalid}, {conntrackIgnoreDesc, ignore},
		{conntrackInsertDesc, insert}, {conntrackInsFailDesc, insertFailed}, {conntrackDropDesc, drop},
		{conntrackEarlyDesc, earlyDrop}, {conntrackRestartDesc, searchRestart},
	} {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, float64(m.v))
	}
	return nil
}

// readUint reads a file holding one decimal number, as /proc/sys files do.
func (f hostFS) readUint(path string) (uint64, error) {
	var v uint64
	err := f.read(path, func(b []byte) (err error) {
		v, err = parseUint(bytes.TrimSpace(b))
		return err
	})
	return v, err
}
