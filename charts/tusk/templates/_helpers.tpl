{{/* The name of the release's objects: RELEASE-tusk, or RELEASE if it already says tusk. */}}
{{- define "tusk.fullname" -}}
{{- if contains "tusk" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-tusk" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tusk.selectorLabels" -}}
app.kubernetes.io/name: tusk
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tusk.labels" -}}
{{ include "tusk.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tusk.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Whether metadata live in PostgreSQL, and objects in S3. */}}
{{- define "tusk.postgres" -}}
{{- if or .Values.postgres.dsn .Values.postgres.existingSecret .Values.postgres.inChart.enabled }}true{{ end -}}
{{- end -}}
{{- define "tusk.s3" -}}
{{- if or .Values.s3.url .Values.s3.inChart.enabled }}true{{ end -}}
{{- end -}}

{{- define "tusk.postgresSecret" -}}
{{- default (printf "%s-postgres" (include "tusk.fullname" .)) .Values.postgres.existingSecret -}}
{{- end -}}
{{- define "tusk.s3Secret" -}}
{{- default (printf "%s-s3" (include "tusk.fullname" .)) .Values.s3.existingSecret -}}
{{- end -}}
{{- define "tusk.adminSecret" -}}
{{- default (printf "%s-admin" (include "tusk.fullname" .)) .Values.adminToken.existingSecret -}}
{{- end -}}
{{- define "tusk.tlsSecret" -}}
{{- default (printf "%s-tls" (include "tusk.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{/* The names the servers are reached by inside the cluster. */}}
{{- define "tusk.dnsNames" -}}
{{- $svc := include "tusk.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson -}}
{{- end -}}

{{/* The settings that cannot work together stop the install with a reason. */}}
{{- define "tusk.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not (include "tusk.postgres" .)) -}}
{{- fail "replicas > 1 needs PostgreSQL (postgres.dsn, postgres.existingSecret or postgres.inChart.enabled): the embedded SQLite store belongs to one server" -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not (include "tusk.s3" .)) -}}
{{- fail "replicas > 1 needs S3 (s3.url or s3.inChart.enabled): a server's local disk is its own" -}}
{{- end -}}
{{- if and .Values.postgres.dsn .Values.postgres.existingSecret -}}
{{- fail "give postgres.dsn or postgres.existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.s3.url .Values.s3.inChart.enabled -}}
{{- fail "give s3.url or s3.inChart.enabled, not both" -}}
{{- end -}}
{{- if and (or .Values.postgres.dsn .Values.postgres.existingSecret) .Values.postgres.inChart.enabled -}}
{{- fail "give your PostgreSQL (postgres.dsn or postgres.existingSecret) or postgres.inChart.enabled, not both" -}}
{{- end -}}
{{- end -}}
