// Command exporter is the demo app's metrics: it watches the demo's pods
// (kwok runs them, nothing answers requests) and exports the request
// metrics each Ready pod would, from its template's annotations:
// demo.rollgate.dev/error-ratio, demo.rollgate.dev/latency-ms and
// demo.rollgate.dev/rps. A release that changes the annotations is a
// release that changes the app's behaviour.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/test/fakeapp"
)

func main() {
	ns := flag.String("namespace", "rollgate-demo", "namespace of the demo app")
	selector := flag.String("selector", "app=shop-api", "label selector of the app's pods")
	listen := flag.String("listen", "127.0.0.1:9464", "address of the /metrics endpoint")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *ns, *selector, *listen); err != nil {
		log.Fatalf("exporter: %v", err)
	}
}

func run(ctx context.Context, ns, selector, listen string) error {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	exp := fakeapp.New()
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	update := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok {
			if readiness.PodReady(p) && p.DeletionTimestamp == nil {
				exp.Set(p.Namespace, p.Name, profileOf(p))
			} else {
				exp.Delete(p.Namespace, p.Name)
			}
		}
	}
	if _, err := factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: update, UpdateFunc: func(_, o any) { update(o) },
		DeleteFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				exp.Delete(p.Namespace, p.Name)
			}
		},
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	go exp.Run(ctx)
	srv := &http.Server{Addr: listen, Handler: exp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Printf("exporter: serving the metrics of %s pods in %s on http://%s/metrics\n", selector, ns, listen)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func profileOf(p *corev1.Pod) fakeapp.Profile {
	num := func(key string, def float64) float64 {
		if v, err := strconv.ParseFloat(p.Annotations["demo.rollgate.dev/"+key], 64); err == nil {
			return v
		}
		return def
	}
	return fakeapp.Profile{RPS: num("rps", 40), ErrorRatio: num("error-ratio", 0),
		Latency: time.Duration(num("latency-ms", 20) * float64(time.Millisecond))}
}
