package kube

import (
	"context"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// Objects are the objects of one resource in one namespace, as client-go's
// typed clients serve them: cli.AppsV1().Deployments(ns) has these
// methods, and so has the runner's own REST client of them.
type Objects[T, L runtime.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// API is what the runner uses of a cluster's API, in its namespace.
//
// client-go's clientset (kubernetes.Interface) has it all, but linking
// it registers every API group of Kubernetes at the start of every tusk
// process, the CLI's and each worker's: `tusk version` took 16 ms of CPU
// and 48 MB of memory with it, 10 ms and 25 MB without (9 ms and 18 MB
// before the kube runner), and the binary 91 MB against 54 MB (41 MB).
// NewAPI serves these three resources with client-go's REST client and a
// scheme of their two API groups only; the tests give the runner the
// fake clientset's typed clients, which have the same methods.
type API struct {
	Deployments Objects[*appsv1.Deployment, *appsv1.DeploymentList]
	Secrets     Objects[*corev1.Secret, *corev1.SecretList]
	Pods        Objects[*corev1.Pod, *corev1.PodList]
	Services    Objects[*corev1.Service, *corev1.ServiceList]
}

// scheme knows the objects of the core and apps API groups.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := appsv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

var (
	codecs         = serializer.NewCodecFactory(scheme)
	parameterCodec = runtime.NewParameterCodec(scheme)
)

// NewAPI returns the API of the cluster cfg reaches, in namespace ns.
func NewAPI(cfg *rest.Config, ns string) (API, error) {
	core, err := restClient(cfg, corev1.SchemeGroupVersion, "/api")
	if err != nil {
		return API{}, err
	}
	apps, err := restClient(cfg, appsv1.SchemeGroupVersion, "/apis")
	if err != nil {
		return API{}, err
	}
	return API{
		Deployments: restObjects[*appsv1.Deployment, *appsv1.DeploymentList]{apps, ns, "deployments"},
		Secrets:     restObjects[*corev1.Secret, *corev1.SecretList]{core, ns, "secrets"},
		Pods:        restObjects[*corev1.Pod, *corev1.PodList]{core, ns, "pods"},
		Services:    restObjects[*corev1.Service, *corev1.ServiceList]{core, ns, "services"},
	}, nil
}

// restClient is a REST client of one API group version.
func restClient(cfg *rest.Config, gv schema.GroupVersion, path string) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion, c.APIPath = &gv, path
	c.NegotiatedSerializer = codecs.WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	client, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client of %s: %w", gv, err)
	}
	return client, nil
}

// restObjects serves the objects of a resource through a REST client, as
// client-go's typed clients do. T and L are pointers to the object's and
// the list's types.
type restObjects[T, L runtime.Object] struct {
	client   rest.Interface
	ns       string
	resource string
}

// newObject returns a new *X for a T of *X.
func newObject[T runtime.Object]() T {
	return reflect.New(reflect.TypeFor[T]().Elem()).Interface().(T)
}

func (o restObjects[T, L]) Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error) {
	out := newObject[T]()
	err := o.client.Get().Namespace(o.ns).Resource(o.resource).Name(name).
		VersionedParams(&opts, parameterCodec).Do(ctx).Into(out)
	return out, err
}

func (o restObjects[T, L]) List(ctx context.Context, opts metav1.ListOptions) (L, error) {
	out := newObject[L]()
	err := o.client.Get().Namespace(o.ns).Resource(o.resource).
		VersionedParams(&opts, parameterCodec).Do(ctx).Into(out)
	return out, err
}

func (o restObjects[T, L]) Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error) {
	out := newObject[T]()
	err := o.client.Post().Namespace(o.ns).Resource(o.resource).
		VersionedParams(&opts, parameterCodec).Body(obj).Do(ctx).Into(out)
	return out, err
}

func (o restObjects[T, L]) Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error) {
	out := newObject[T]()
	m, err := meta.Accessor(obj)
	if err != nil {
		return out, fmt.Errorf("update %s: %w", o.resource, err)
	}
	err = o.client.Put().Namespace(o.ns).Resource(o.resource).Name(m.GetName()).
		VersionedParams(&opts, parameterCodec).Body(obj).Do(ctx).Into(out)
	return out, err
}

func (o restObjects[T, L]) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error) {
	out := newObject[T]()
	err := o.client.Patch(pt).Namespace(o.ns).Resource(o.resource).Name(name).SubResource(subresources...).
		VersionedParams(&opts, parameterCodec).Body(data).Do(ctx).Into(out)
	return out, err
}

func (o restObjects[T, L]) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	return o.client.Delete().Namespace(o.ns).Resource(o.resource).Name(name).Body(&opts).Do(ctx).Error()
}
