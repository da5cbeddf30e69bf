package main

import "testing"

func TestParseCountsSumsRequestsAndSplitsDispatchesByFlowSchema(t *testing.T) {
	raw := []byte(`# HELP apiserver_request_total Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="GET",version="v1"} 12
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 3
apiserver_request_total_other{verb="GET"} 100
apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"} 632
apiserver_flowcontrol_dispatched_requests_total{flow_schema="rollgate-relbench-rollgate",priority_level="exempt"} 20
apiserver_flowcontrol_dispatched_requests_total{flow_schema="rollgate-relbench-rollgate",priority_level="workload-low"} 1
`)
	c, err := parseCounts(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.total != 15 {
		t.Errorf("total = %v, want 15", c.total)
	}
	if got := c.flow["rollgate-relbench-rollgate"]; got != 21 {
		t.Errorf("rollgate's dispatches = %v, want 21", got)
	}
	d := c.minus(counts{total: 5, flow: map[string]float64{"exempt": 600}})
	if d.total != 10 || d.flow["exempt"] != 32 || d.flow["rollgate-relbench-rollgate"] != 21 {
		t.Errorf("minus = %+v", d)
	}
}
