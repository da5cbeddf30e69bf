package lease

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/rollgate/rollgate/gate/workload"
)

func TestLockIsExclusiveUntilReleasedOrExpired(t *testing.T) {
	client := fake.NewClientset()
	ctx := context.Background()
	target := workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	first, err := Acquire(ctx, client, target, "job-1", 30*time.Second, clock)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(ctx, client, target, "job-2", 30*time.Second, clock)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "job-1") {
		t.Fatalf("second gate: %v, want ErrHeld naming job-1", err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	third, err := Acquire(ctx, client, target, "job-3", 30*time.Second, clock)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	third.stop() // job-3 "crashes": no release, no renewal
	<-third.done
	now = now.Add(31 * time.Second)
	if _, err := Acquire(ctx, client, target, "job-4", 30*time.Second, clock); err != nil {
		t.Fatalf("an expired lease must be taken over: %v", err)
	}
}
