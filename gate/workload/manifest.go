package workload

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/rollgate/rollgate/gate/preflight"
)

// ParseManifest reads the Deployments and Rollouts of a multi-document YAML
// manifest (what a pipeline is about to kubectl apply), with the
// PodDisruptionBudgets and ServiceAccounts it holds. Without any PDB in the
// manifest the cluster's are unknown, so missingPDB stays silent rather
// than guess; the cluster mode checks them.
func ParseManifest(data []byte) ([]preflight.Workload, error) {
	m := &manifest{sas: map[string]*corev1.ServiceAccount{}, deps: map[string]*appsv1.Deployment{}}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := m.add(doc); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
	}
	return m.workloads()
}

// manifest is what ParseManifest gathered so far.
type manifest struct {
	out  []preflight.Workload
	pdbs []policyv1.PodDisruptionBudget
	sas  map[string]*corev1.ServiceAccount
	deps map[string]*appsv1.Deployment // a workloadRef's target, by name
	refs []*unstructured.Unstructured  // Rollouts with a workloadRef, read last
}

// add reads one document.
func (m *manifest) add(doc []byte) error {
	var u unstructured.Unstructured
	if err := yaml.Unmarshal(doc, &u.Object); err != nil {
		return fmt.Errorf("not valid YAML: %w", err)
	}
	switch u.GetKind() {
	case "List": // kubectl get -o yaml writes one (v1 List): its items are the objects
		items, _, _ := unstructured.NestedSlice(u.Object, "items")
		for i, item := range items {
			b, err := yaml.Marshal(item)
			if err != nil {
				return fmt.Errorf("items[%d]: %w", i, err)
			}
			if err := m.add(b); err != nil {
				return fmt.Errorf("items[%d]: %w", i, err)
			}
		}
	case "Deployment":
		var d appsv1.Deployment
		if err := yaml.UnmarshalStrict(doc, &d); err != nil {
			return fmt.Errorf("deployment %s: %w", u.GetName(), err)
		}
		st, err := (&deployment{base{t: Target{Kind: KindDeployment, Name: d.Name, Namespace: d.Namespace}}}).Decode(&d)
		if err != nil {
			return err
		}
		m.deps[d.Name] = &d
		m.out = append(m.out, preflight.Workload{Kind: string(KindDeployment), Name: d.Name, Namespace: d.Namespace, Replicas: st.Replicas, Template: st.Template})
	case "Rollout":
		if _, ok, _ := unstructured.NestedMap(u.Object, "spec", "workloadRef"); ok {
			m.refs = append(m.refs, u.DeepCopy())
			return nil
		}
		st, err := decodeRollout(&u, nil)
		if err != nil {
			return err
		}
		m.out = append(m.out, preflight.Workload{Kind: string(KindRollout), Name: u.GetName(), Namespace: u.GetNamespace(), Replicas: st.Replicas, Template: st.Template})
	case "PodDisruptionBudget":
		var p policyv1.PodDisruptionBudget
		if err := yaml.Unmarshal(doc, &p); err != nil {
			return fmt.Errorf("poddisruptionbudget %s: %w", u.GetName(), err)
		}
		m.pdbs = append(m.pdbs, p)
	case "ServiceAccount":
		var sa corev1.ServiceAccount
		if err := yaml.Unmarshal(doc, &sa); err != nil {
			return fmt.Errorf("serviceaccount %s: %w", u.GetName(), err)
		}
		m.sas[sa.Name] = &sa
	}
	return nil
}

// workloads resolves the workloadRefs and gives every workload the
// manifest's PDBs (nil when it has none: unknown) and its ServiceAccount.
func (m *manifest) workloads() ([]preflight.Workload, error) {
	for _, u := range m.refs {
		name, _, _ := unstructured.NestedString(u.Object, "spec", "workloadRef", "name")
		if m.deps[name] == nil {
			m.out = append(m.out, preflight.Workload{Kind: string(KindRollout), Name: u.GetName(), Namespace: u.GetNamespace(),
				NotChecked: fmt.Sprintf("its template is Deployment %q's (workloadRef), which is not in the manifest", name)})
			continue
		}
		st, err := decodeRollout(u, m.deps[name])
		if err != nil {
			return nil, fmt.Errorf("rollout %s: %w", u.GetName(), err)
		}
		m.out = append(m.out, preflight.Workload{Kind: string(KindRollout), Name: u.GetName(), Namespace: u.GetNamespace(), Replicas: st.Replicas, Template: st.Template})
	}
	for i := range m.out {
		m.out[i].PDBs = m.pdbs
		name := m.out[i].Template.Spec.ServiceAccountName
		if name == "" {
			name = "default"
		}
		m.out[i].ServiceAccount = m.sas[name]
	}
	return m.out, nil
}
