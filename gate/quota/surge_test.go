package quota

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestDeploymentSurge(t *testing.T) {
	deployment := func(replicas *int32, strategy appsv1.DeploymentStrategy) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"},
			Spec:       appsv1.DeploymentSpec{Replicas: replicas, Strategy: strategy},
		}
	}
	rolling := func(surge, unavailable intstr.IntOrString) appsv1.DeploymentStrategy {
		return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}
	}
	n := func(i int32) *int32 { return &i }
	pct := intstr.FromString
	abs := intstr.FromInt32
	tests := []struct {
		name               string
		d                  *appsv1.Deployment
		surge, unavailable int32
		errContains        string
	}{
		{"maxSurge 25% of 3 replicas rounds up to 1 and maxUnavailable 25% rounds down to 0",
			deployment(n(3), rolling(pct("25%"), pct("25%"))), 1, 0, ""},
		{"maxSurge 10% of 5 replicas rounds up to 1",
			deployment(n(5), rolling(pct("10%"), pct("10%"))), 1, 0, ""},
		{"fenceposts that both resolve to 0 leave one pod unavailable",
			deployment(n(3), rolling(abs(0), pct("10%"))), 0, 1, ""},
		{"absolute values are taken as they are",
			deployment(n(10), rolling(abs(2), abs(1))), 2, 1, ""},
		{"an unset strategy gets the apps/v1 defaults of 25% each",
			deployment(n(4), appsv1.DeploymentStrategy{}), 1, 1, ""},
		{"unset replicas count as one",
			deployment(nil, appsv1.DeploymentStrategy{}), 1, 0, ""},
		{"maxUnavailable above the replica count is capped at it",
			deployment(n(2), rolling(abs(1), abs(5))), 1, 2, ""},
		{"zero replicas neither surge nor go unavailable",
			deployment(n(0), rolling(pct("25%"), pct("25%"))), 0, 0, ""},
		{"Recreate has no surge and takes every replica down",
			deployment(n(3), appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}), 0, 3, ""},
		{"a number in a string is an error that names the deployment",
			deployment(n(3), rolling(pct("3"), abs(0))), 0, 0, "deployment shop/api: maxSurge 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			surge, unavailable, err := DeploymentSurge(tt.d)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("got error %v, want one containing %q", err, tt.errContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if surge != tt.surge || unavailable != tt.unavailable {
				t.Errorf("got surge %d, unavailable %d; want %d, %d", surge, unavailable, tt.surge, tt.unavailable)
			}
		})
	}
}

func TestCanarySurge(t *testing.T) {
	v := func(s intstr.IntOrString) *intstr.IntOrString { return &s }
	tests := []struct {
		name               string
		replicas           int32
		surge, unavailable *intstr.IntOrString
		wantS, wantU       int32
	}{
		{"unset fenceposts get Argo's 25% defaults", 4, nil, nil, 1, 1},
		{"25% of 3 replicas rounds surge up and unavailable down", 3, v(intstr.FromString("25%")), v(intstr.FromString("25%")), 1, 0},
		{"a bare number in a string is a percentage, as Argo reads it", 4, v(intstr.FromString("50")), v(intstr.FromInt32(0)), 2, 0},
		{"absolute values are taken as they are", 10, v(intstr.FromInt32(3)), v(intstr.FromInt32(2)), 3, 2},
		{"fenceposts that both resolve to 0 leave one pod unavailable", 5, v(intstr.FromString("0%")), v(intstr.FromString("10%")), 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u, err := CanarySurge(tt.replicas, tt.surge, tt.unavailable)
			if err != nil {
				t.Fatal(err)
			}
			if s != tt.wantS || u != tt.wantU {
				t.Errorf("got surge %d, unavailable %d; want %d, %d", s, u, tt.wantS, tt.wantU)
			}
		})
	}
}
