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

var target = workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"}

// The tests run on the real clock with a short lease: Acquire measures
// expiry on its own clock while it watches.
const d = time.Second // Leases count whole seconds

func TestTheSameGenerationIsADuplicateJobRefusedAtOnce(t *testing.T) {
	client, ctx := fake.NewClientset(), context.Background()
	first, err := Acquire(ctx, client, target, Holder{ID: "job-1", Generation: 3}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release(ctx)
	start := time.Now()
	_, err = Acquire(ctx, client, target, Holder{ID: "job-2", Generation: 3}, d, nil)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "job-1") || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("second gate: %v, want ErrHeld naming job-1 as a duplicate", err)
	}
	if took := time.Since(start); took > d/2 {
		t.Errorf("refused after %s, want at once", took)
	}
}

func TestAReleasedLeaseIsTakenAtOnce(t *testing.T) {
	client, ctx := fake.NewClientset(), context.Background()
	first, err := Acquire(ctx, client, target, Holder{ID: "job-1", Generation: 3}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := Acquire(ctx, client, target, Holder{ID: "job-2", Generation: 3}, d, nil)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	second.Release(ctx)
}

func TestACrashedGatesLeaseIsTakenOverAfterItsDurationOnOurClock(t *testing.T) {
	client, ctx := fake.NewClientset(), context.Background()
	crashed, err := Acquire(ctx, client, target, Holder{ID: "job-1", Generation: 3}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	crashed.stop() // job-1 "crashes": no release, no renewal
	<-crashed.done
	start := time.Now()
	next, err := Acquire(ctx, client, target, Holder{ID: "job-2", Generation: 4}, d, nil)
	if err != nil {
		t.Fatalf("an expired lease must be taken over: %v", err)
	}
	defer next.Release(ctx)
	if took := time.Since(start); took < d {
		t.Errorf("taken over after %s: the record must be seen unchanged for its whole duration (%s) first", took, d)
	}
}

func TestANewerGateWaitsForTheOlderGenerationsGateToRelease(t *testing.T) {
	client, ctx := fake.NewClientset(), context.Background()
	older, err := Acquire(ctx, client, target, Holder{ID: "job-1", Generation: 3}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(2 * d) // it renews meanwhile, then finds itself superseded and leaves
		older.Release(ctx)
	}()
	newer, err := Acquire(ctx, client, target, Holder{ID: "job-2", Generation: 4}, d, nil)
	if err != nil {
		t.Fatalf("the newer gate must get the lease once the older one releases it: %v", err)
	}
	newer.Release(ctx)
}

func TestALiveGateOfANewerGenerationIsNotWaitedFor(t *testing.T) {
	client, ctx := fake.NewClientset(), context.Background()
	live, err := Acquire(ctx, client, target, Holder{ID: "job-9", Generation: 9}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Release(ctx)
	start := time.Now()
	_, err = Acquire(ctx, client, target, Holder{ID: "job-2", Generation: 4}, d, nil)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "job-9") {
		t.Fatalf("got %v, want ErrHeld naming job-9", err)
	}
	if took := time.Since(start); took > d {
		t.Errorf("refused after %s, want within one renewal (%s)", took, d/3)
	}
}

func TestTheHolderIdentityCarriesTheGeneration(t *testing.T) {
	for id, want := range map[string]int64{
		Holder{ID: "rollgate on ci pid 7 (https://ci/job/1)", Generation: 12}.identity(): 12,
		"rollgate on an old runner": 0,
		"x [generation abc]":        0,
	} {
		if got := generationOf(id); got != want {
			t.Errorf("generationOf(%q) = %d, want %d", id, got, want)
		}
	}
}
