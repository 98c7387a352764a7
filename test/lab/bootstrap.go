package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

var (
	crdGVR     = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	rccGVR     = schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "remoteclusterconfigurations"}
	ippoolGVR  = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "ippools"}
	hepGVR     = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "hostendpoints"}
	ipamblkGVR = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "ipamblocks"}
)

const typhaNS = "calico-system"

func obj(m map[string]interface{}) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: m}
}

type m = map[string]interface{}
type l = []interface{}

func str() m { return m{"type": "string"} }

// rccCRD is the RemoteClusterConfiguration as a CRD with the documented spec
// fields: projectcalico.org/v3 (legacy, v3crd) or the crd.projectcalico.org/v1
// storage of API-server mode. defaultDisabled: the native v3 CRD's schema
// defaults overlayRoutingMode to Disabled.
func rccCRD(group, version string, defaultDisabled bool) *unstructured.Unstructured {
	spec := m{
		"clusterAccessSecret": m{
			"type":                  "object",
			"description":           "Reference to a Secret holding datastoreType and kubeconfig. When set, all other connection fields must be empty.",
			"x-kubernetes-map-type": "atomic",
			"properties": m{
				"apiVersion": str(), "fieldPath": str(), "kind": str(), "name": str(),
				"namespace": str(), "resourceVersion": str(), "uid": str(),
			},
		},
		"datastoreType":            m{"type": "string", "enum": l{"etcdv3", "kubernetes"}},
		"etcdEndpoints":            str(),
		"etcdUsername":             str(),
		"etcdPassword":             str(),
		"etcdKeyFile":              str(),
		"etcdCertFile":             str(),
		"etcdCACertFile":           str(),
		"etcdKey":                  str(),
		"etcdCert":                 str(),
		"etcdCACert":               str(),
		"kubeconfig":               str(),
		"kubeconfigInline":         str(),
		"k8sAPIEndpoint":           m{"type": "string", "pattern": `^https?://[^:]+:\d+$`},
		"k8sKeyFile":               str(),
		"k8sCertFile":              str(),
		"k8sCAFile":                str(),
		"k8sAPIToken":              str(),
		"k8sInsecureSkipTLSVerify": m{"type": "boolean"},
		"syncOptions": m{
			"type": "object",
			"properties": m{
				"overlayRoutingMode": m{"type": "string", "enum": l{"Enabled", "Disabled"}},
			},
		},
	}
	if defaultDisabled {
		spec["syncOptions"].(m)["properties"].(m)["overlayRoutingMode"].(m)["default"] = "Disabled"
		spec["syncOptions"].(m)["default"] = m{}
	}
	others := []string{"datastoreType", "etcdEndpoints", "etcdUsername", "etcdPassword", "etcdKeyFile", "etcdCertFile",
		"etcdCACertFile", "etcdKey", "etcdCert", "etcdCACert", "kubeconfig", "kubeconfigInline", "k8sAPIEndpoint",
		"k8sKeyFile", "k8sCertFile", "k8sCAFile", "k8sAPIToken", "k8sInsecureSkipTLSVerify"}
	rule := "!has(self.clusterAccessSecret) || ("
	for i, f := range others {
		if i > 0 {
			rule += " && "
		}
		rule += "!has(self." + f + ")"
	}
	rule += ")"
	return obj(m{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   m{"name": "remoteclusterconfigurations." + group},
		"spec": m{
			"group": group,
			"scope": "Cluster",
			"names": m{"plural": "remoteclusterconfigurations", "singular": "remoteclusterconfiguration",
				"kind": "RemoteClusterConfiguration", "listKind": "RemoteClusterConfigurationList"},
			"versions": l{m{
				"name": version, "served": true, "storage": true,
				"schema": m{"openAPIV3Schema": m{
					"type": "object",
					"properties": m{
						"apiVersion": str(), "kind": str(), "metadata": m{"type": "object"},
						"spec": m{
							"type":       "object",
							"properties": spec,
							"x-kubernetes-validations": l{m{
								"rule":    rule,
								"message": "when clusterAccessSecret is set, the other connection fields (datastoreType, kubeconfig, k8s*, etcd*) must be empty",
							}},
						},
					},
				}},
			}},
		},
	})
}

func lower(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func createOrKeep(err error) error {
	if err == nil || apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// bootstrap creates the Calico API shape, the Node and the Typha Deployment
// and Pods in one cluster (admin credentials).
func bootstrap(st *State, c *Cluster) error {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cfg := adminRestConfig(st, c)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}

	for _, crd := range flavourCRDs(c) {
		if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return fmt.Errorf("CRD %s: %v", crd.GetName(), err)
		}
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: typhaNS,
		Labels: map[string]string{"name": typhaNS}}}, metav1.CreateOptions{}); createOrKeep(err) != nil {
		return err
	}
	if _, err := cs.CoreV1().ServiceAccounts(typhaNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: "calico-typha", Namespace: typhaNS}}, metav1.CreateOptions{}); createOrKeep(err) != nil {
		return err
	}
	// What the operator gives Typha for remote clusters: RCCs, no secrets.
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "calico-typha"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"projectcalico.org", "crd.projectcalico.org"}, Resources: []string{"remoteclusterconfigurations"}, Verbs: []string{"get", "list", "watch"}},
		},
	}, metav1.CreateOptions{}); createOrKeep(err) != nil {
		return err
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "calico-typha"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "calico-typha"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "calico-typha", Namespace: typhaNS}},
	}, metav1.CreateOptions{}); createOrKeep(err) != nil {
		return err
	}

	// calico-kube-controllers: the lab's assumption about the operator's
	// grant for the federated-services controller: RCCs cluster-wide, and
	// Secrets in calico-system (get/list/watch).
	if c.KCPod != "" {
		if _, err := cs.CoreV1().ServiceAccounts(typhaNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Name: "calico-kube-controllers", Namespace: typhaNS}}, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return err
		}
		// The federated-services controller: Services and Endpoints read
		// cluster-wide, federated Endpoints written (the lab's assumption
		// of the operator's rules; Calico's Endpoints client is used).
		kcRole := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "calico-kube-controllers"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"projectcalico.org", "crd.projectcalico.org"}, Resources: []string{"remoteclusterconfigurations"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"services", "endpoints"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"endpoints"}, Verbs: []string{"create", "update", "delete"}},
			},
		}
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, kcRole, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
			_, err = cs.RbacV1().ClusterRoles().Update(ctx, kcRole, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "calico-kube-controllers"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "calico-kube-controllers"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "calico-kube-controllers", Namespace: typhaNS}},
		}, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return err
		}
		if _, err := cs.RbacV1().Roles(typhaNS).Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "calico-kube-controllers-secrets", Namespace: typhaNS},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
			},
		}, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return err
		}
		if _, err := cs.RbacV1().RoleBindings(typhaNS).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "calico-kube-controllers-secrets", Namespace: typhaNS},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "calico-kube-controllers-secrets"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "calico-kube-controllers", Namespace: typhaNS}},
		}, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return err
		}
	}

	// The Calico objects, in the group(s) the flavour stores them in.
	if err := flavourObjects(ctx, dyn, c); err != nil {
		return err
	}

	// The Nodes: the first one has the fake kubelet and the pods; the others
	// are Node objects only (an address nothing listens on).
	now := metav1.Now()
	for k, name := range c.nodeNames() {
		ip := c.NodeIP
		if k > 0 {
			ip = c.extraNodeIP(k + 1)
		}
		if err := makeNode(ctx, cs, c, name, ip, now); err != nil {
			return err
		}
	}

	// The stand-ins' Deployments and their Pods (created directly: no
	// scheduler, no kubelet, no deployment controller run in the lab).
	typhaPorts := func(p int) []corev1.ContainerPort {
		return []corev1.ContainerPort{{Name: "calico-typha", ContainerPort: int32(p), Protocol: corev1.ProtocolTCP}}
	}
	typhaEnv := []corev1.EnvVar{{Name: "TYPHA_DATASTORETYPE", Value: "kubernetes"}, {Name: "TYPHA_PROMETHEUSMETRICSENABLED", Value: "true"}}
	if err := makeDeployment(ctx, cs, c, depTypha, "calico-typha", "calico-typha", true, typhaPorts(5473), typhaEnv, now); err != nil {
		return err
	}
	if len(c.NonClusterPods) > 0 {
		if err := makeDeployment(ctx, cs, c, depNonCluster, "calico-typha", "calico-typha", false, typhaPorts(5473), typhaEnv, now); err != nil {
			return err
		}
	}
	if c.KCPod != "" {
		env := []corev1.EnvVar{{Name: "DATASTORE_TYPE", Value: "kubernetes"}, {Name: "ENABLED_CONTROLLERS", Value: "node,federatedservices"}}
		if err := makeDeployment(ctx, cs, c, depKC, "calico-kube-controllers", "calico-kube-controllers", false, nil, env, now); err != nil {
			return err
		}
	}
	return nil
}

// makeNode creates a Node, with its address and kubelet port set through status.
func makeNode(ctx context.Context, cs *kubernetes.Clientset, c *Cluster, name, ip string, now metav1.Time) error {
	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: name,
		Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
			"kubernetes.io/arch": "amd64", "topology.kubernetes.io/region": c.Name},
	}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		node, err = cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("node %s: %v", name, err)
	}
	node.Status = corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: kubeletPort}},
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "lab fake kubelet", LastHeartbeatTime: now, LastTransitionTime: now}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: k8sVersion, OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "lab://0"},
		Capacity:    corev1.ResourceList{},
		Allocatable: corev1.ResourceList{},
	}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node %s status: %v", name, err)
	}
	return nil
}

// makeDeployment creates one stand-in Deployment (selector k8s-app=<name>)
// and its pods, bound to the node and marked Running/Ready.
func makeDeployment(ctx context.Context, cs *kubernetes.Clientset, c *Cluster, name, sa, container string, hostNet bool,
	ports []corev1.ContainerPort, env []corev1.EnvVar, now metav1.Time) error {
	pods := c.deploymentPods(name)
	labels := map[string]string{"k8s-app": name}
	replicas := int32(len(pods))
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			HostNetwork:        hostNet,
			Tolerations:        []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:  container,
				Image: "lab.local/meshctl-lab/" + container + "-standin:" + k8sVersion,
				Ports: ports,
				Env:   env,
			}},
		},
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: typhaNS, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: tmpl,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &intstr.IntOrString{Type: intstr.Int, IntVal: 1}}},
		},
	}
	d, err := cs.AppsV1().Deployments(typhaNS).Create(ctx, dep, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		d, err = cs.AppsV1().Deployments(typhaNS).Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("deployment %s: %v", name, err)
	}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: replicas, UpdatedReplicas: replicas,
		ReadyReplicas: replicas, AvailableReplicas: replicas,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
			Reason: "MinimumReplicasAvailable", LastUpdateTime: now, LastTransitionTime: now}}}
	if _, err := cs.AppsV1().Deployments(typhaNS).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("deployment %s status: %v", name, err)
	}

	for _, p := range pods {
		pl := map[string]string{"k8s-app": name, "pod-template-hash": shortHash(c.Name+"/"+name, 10)}
		spec := *tmpl.Spec.DeepCopy()
		spec.NodeName = c.NodeName
		if p.Metrics != 0 {
			spec.Containers[0].Ports = append(spec.Containers[0].Ports,
				corev1.ContainerPort{Name: "metrics", ContainerPort: int32(p.Metrics), Protocol: corev1.ProtocolTCP})
		}
		pod, err := cs.CoreV1().Pods(typhaNS).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: typhaNS, Labels: pl},
			Spec:       spec,
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			pod, err = cs.CoreV1().Pods(typhaNS).Get(ctx, p.Name, metav1.GetOptions{})
		}
		if err != nil {
			return fmt.Errorf("pod %s: %v", p.Name, err)
		}
		setPodRunning(pod, c, now)
		if _, err := cs.CoreV1().Pods(typhaNS).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("pod %s status: %v", p.Name, err)
		}
	}
	return nil
}

func setPodRunning(pod *corev1.Pod, c *Cluster, now metav1.Time) {
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now}
	}
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{cond(corev1.PodScheduled), cond(corev1.PodInitialized),
			cond(corev1.ContainersReady), cond(corev1.PodReady)},
		HostIP:    c.NodeIP,
		HostIPs:   []corev1.HostIP{{IP: c.NodeIP}},
		PodIP:     c.NodeIP,
		PodIPs:    []corev1.PodIP{{IP: c.NodeIP}},
		StartTime: &now,
		QOSClass:  corev1.PodQOSBestEffort,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: pod.Spec.Containers[0].Name, Ready: true, Started: boolPtr(true),
			Image: pod.Spec.Containers[0].Image, ImageID: pod.Spec.Containers[0].Image,
			ContainerID: "lab://" + pod.Name + "/1",
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
}

func boolPtr(b bool) *bool { return &b }
