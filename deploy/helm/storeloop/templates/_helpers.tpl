{{/*
Helpers kept from `helm create` (name, fullname, chart, labels, selectorLabels), plus
per-component variants: every service is one "component" of the release, named
<fullname>-<component> and labelled app.kubernetes.io/component=<component>.
*/}}

{{/* The services of the chart, in start order. */}}
{{- define "storeloop.components" -}}
{{- list "ingestion" "features" "training" "inference" "replenishment" | toJson -}}
{{- end }}

{{/* Components that accept API keys (features has no authenticated endpoint). */}}
{{- define "storeloop.apiKeyComponents" -}}
{{- list "ingestion" "training" "inference" "replenishment" | toJson -}}
{{- end }}

{{/* Components that read or write the artifact store. */}}
{{- define "storeloop.artifactComponents" -}}
{{- list "training" "inference" "replenishment" | toJson -}}
{{- end }}

{{/*
Expand the name of the chart.
*/}}
{{- define "storeloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "storeloop.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "storeloop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "storeloop.labels" -}}
helm.sh/chart: {{ include "storeloop.chart" . }}
{{ include "storeloop.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storeloop
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "storeloop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "storeloop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Name of a component's resources. Call with (dict "root" $ "component" "inference"). */}}
{{- define "storeloop.componentFullname" -}}
{{- printf "%s-%s" (include "storeloop.fullname" .root | trunc 48 | trimSuffix "-") .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of a component's resources. Call with (dict "root" $ "component" "inference"). */}}
{{- define "storeloop.componentLabels" -}}
{{ include "storeloop.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels of a component's pods. Call with (dict "root" $ "component" "inference"). */}}
{{- define "storeloop.componentSelectorLabels" -}}
{{ include "storeloop.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* ServiceAccount of a component. Call with (dict "root" $ "component" "inference"). */}}
{{- define "storeloop.serviceAccountName" -}}
{{- $sa := (index .root.Values .component).serviceAccount }}
{{- if $sa.create }}
{{- default (include "storeloop.componentFullname" .) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{/* Image reference; the tag defaults to the chart's appVersion. Call with (dict "root" $ "image" .image). */}}
{{- define "storeloop.image" -}}
{{- $repository := .image.repository }}
{{- with .root.Values.global.imageRegistry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}
{{- end }}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* Pod-level imagePullSecrets. */}}
{{- define "storeloop.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/* Mount path of the Kafka CA bundle. */}}
{{- define "storeloop.kafkaCaDir" -}}/etc/storeloop/kafka-ca{{- end }}

{{/* Mount path of the Redis CA bundle. */}}
{{- define "storeloop.redisCaDir" -}}/etc/storeloop/redis-ca{{- end }}

{{/* Mount path of the API keys file. */}}
{{- define "storeloop.apiKeysDir" -}}/etc/storeloop/api-keys{{- end }}

{{/*
Kafka settings without secrets, as a YAML map of variable to string. Shared by the
ConfigMaps and the provisioning Job (a pre-install hook cannot use the ConfigMaps: they
do not exist yet).
*/}}
{{- define "storeloop.kafkaConfig" -}}
{{- $kafka := .Values.kafka }}
KAFKA_BROKERS: {{ join "," $kafka.brokers | quote }}
KAFKA_TOPIC_REPLICATION_FACTOR: {{ $kafka.topicReplicationFactor | toString | quote }}
{{- with $kafka.topicPrefix }}
KAFKA_TOPIC_PREFIX: {{ . | quote }}
{{- end }}
KAFKA_SSL: {{ $kafka.tls.enabled | toString | quote }}
{{- if $kafka.tls.enabled }}
KAFKA_SSL_REJECT_UNAUTHORIZED: {{ $kafka.tls.rejectUnauthorized | toString | quote }}
{{- if $kafka.tls.caSecret }}
KAFKA_SSL_CA_FILE: {{ printf "%s/%s" (include "storeloop.kafkaCaDir" .) $kafka.tls.caKey | quote }}
{{- end }}
{{- end }}
{{- with $kafka.sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Kafka secrets as container env entries (secretKeyRef only). */}}
{{- define "storeloop.kafkaSecretEnv" -}}
{{- $sasl := .Values.kafka.sasl }}
{{- if $sasl.mechanism }}
{{- $_ := required "kafka.sasl.existingSecret is required when kafka.sasl.mechanism is set" $sasl.existingSecret }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $sasl.existingSecret }}
      key: {{ $sasl.usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $sasl.existingSecret }}
      key: {{ $sasl.passwordKey }}
{{- end }}
{{- end }}

{{/* Volume of the Kafka CA bundle, when one is configured. */}}
{{- define "storeloop.kafkaCaVolume" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret }}
    items:
      - key: {{ .Values.kafka.tls.caKey }}
        path: {{ .Values.kafka.tls.caKey }}
{{- end }}
{{- end }}

{{- define "storeloop.kafkaCaVolumeMount" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: {{ include "storeloop.kafkaCaDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Volume of the Redis CA bundle, when one is configured. */}}
{{- define "storeloop.redisCaVolume" -}}
{{- if and .Values.redis.tls .Values.redis.tlsCaSecret }}
- name: redis-ca
  secret:
    secretName: {{ .Values.redis.tlsCaSecret }}
    items:
      - key: {{ .Values.redis.tlsCaKey }}
        path: {{ .Values.redis.tlsCaKey }}
{{- end }}
{{- end }}

{{- define "storeloop.redisCaVolumeMount" -}}
{{- if and .Values.redis.tls .Values.redis.tlsCaSecret }}
- name: redis-ca
  mountPath: {{ include "storeloop.redisCaDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Name of the filesystem artifact claim. */}}
{{- define "storeloop.artifactsClaim" -}}
{{- default (printf "%s-artifacts" (include "storeloop.fullname" .)) .Values.artifacts.filesystem.persistence.existingClaim }}
{{- end }}

{{/* Name of training's journal claim. */}}
{{- define "storeloop.trainingStateClaim" -}}
{{- default (printf "%s-training-state" (include "storeloop.fullname" .)) .Values.training.state.persistence.existingClaim }}
{{- end }}

{{/* Service URL of a component inside the cluster. Call with (dict "root" $ "component" "features"). */}}
{{- define "storeloop.componentUrl" -}}
{{- printf "http://%s.%s.svc:%v" (include "storeloop.componentFullname" .) .root.Release.Namespace (index .root.Values .component).service.port }}
{{- end }}

{{/*
The non-secret environment of a component, as a YAML map of variable to string:
`config`, overridden by the component's `env`, overridden by what the chart derives
(port, Kafka, Redis, directories), so probes and mounts always match the process.
Call with (dict "root" $ "component" "inference").
*/}}
{{- define "storeloop.componentConfig" -}}
{{- $root := .root }}
{{- $name := .component }}
{{- $svc := index $root.Values $name }}
{{- $derived := dict "PORT" ($svc.port | toString) }}
{{- $derived = merge $derived (include "storeloop.kafkaConfig" $root | fromYaml) }}
{{- if $root.Values.topicProvisioning.enabled }}
{{- $_ := set $derived "KAFKA_PROVISION_TOPICS" "false" }}
{{- end }}
{{- $redis := $root.Values.redis }}
{{- if $redis.clusterNodes }}
{{- $_ := set $derived "REDIS_CLUSTER_NODES" (join "," $redis.clusterNodes) }}
{{- else }}
{{- $_ := set $derived "REDIS_URL" $redis.url }}
{{- end }}
{{- $_ := set $derived "REDIS_TLS" ($redis.tls | toString) }}
{{- if and $redis.tls $redis.tlsCaSecret }}
{{- $_ := set $derived "REDIS_TLS_CA_FILE" (printf "%s/%s" (include "storeloop.redisCaDir" $root) $redis.tlsCaKey) }}
{{- end }}
{{- $_ := set $derived "REDIS_KEY_PREFIX" $redis.keyPrefix }}
{{- with $redis.auth.username }}
{{- $_ := set $derived "REDIS_USERNAME" . }}
{{- end }}
{{- if and $root.Values.apiKeys.existingSecret (has $name (include "storeloop.apiKeyComponents" $root | fromJsonArray)) }}
{{- $_ := set $derived "API_KEYS_FILE" (printf "%s/%s" (include "storeloop.apiKeysDir" $root) $root.Values.apiKeys.fileKey) }}
{{- end }}
{{- if has $name (include "storeloop.artifactComponents" $root | fromJsonArray) }}
{{- $artifacts := $root.Values.artifacts }}
{{- $_ := set $derived "ARTIFACT_STORE" $artifacts.store }}
{{- if eq $artifacts.store "filesystem" }}
{{- $_ := set $derived "ARTIFACT_DIR" $artifacts.filesystem.mountPath }}
{{- else }}
{{- $_ := set $derived "ARTIFACT_S3_BUCKET" (required "artifacts.s3.bucket is required when artifacts.store is s3" $artifacts.s3.bucket) }}
{{- $_ := set $derived "ARTIFACT_S3_REGION" $artifacts.s3.region }}
{{- $_ := set $derived "ARTIFACT_S3_FORCE_PATH_STYLE" ($artifacts.s3.forcePathStyle | toString) }}
{{- with $artifacts.s3.prefix }}
{{- $_ := set $derived "ARTIFACT_S3_PREFIX" . }}
{{- end }}
{{- with $artifacts.s3.endpoint }}
{{- $_ := set $derived "ARTIFACT_S3_ENDPOINT" . }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq $name "training" }}
{{- $_ := set $derived "TRAINING_STATE_DIR" $svc.state.mountPath }}
{{- if $svc.gpu.enabled }}
{{- $_ := set $derived "TRAINING_BACKEND" $svc.gpu.backend }}
{{- end }}
{{- end }}
{{- if eq $name "inference" }}
{{- $_ := set $derived "INFERENCE_SPOOL_DIR" $svc.spool.mountPath }}
{{- $_ := set $derived "INFERENCE_SPOOL_MAX_BYTES" ($svc.spool.maxBytes | int64 | toString) }}
{{- if $svc.dashboard.enabled }}
{{- $targets := list }}
{{- range $component := include "storeloop.components" $root | fromJsonArray }}
{{- if (index $root.Values $component).enabled }}
{{- $targets = append $targets (printf "%s=%s" $component (include "storeloop.componentUrl" (dict "root" $root "component" $component))) }}
{{- end }}
{{- end }}
{{- $_ := set $derived "DASHBOARD_TARGETS" (join "," $targets) }}
{{- end }}
{{- end }}
{{- $config := dict }}
{{- range $key, $value := $root.Values.config }}
{{- $_ := set $config $key (include "storeloop.envValue" $value) }}
{{- end }}
{{- range $key, $value := $svc.env }}
{{- $_ := set $config $key (include "storeloop.envValue" $value) }}
{{- end }}
{{- toYaml (merge $derived $config) }}
{{- end }}

{{/* Pod security context: the shared one with the component's merged over it. */}}
{{- define "storeloop.podSecurityContext" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.podSecurityContext) (index .root.Values .component).podSecurityContext) }}
{{- end }}

{{/* Container security context: the shared one with the component's merged over it. */}}
{{- define "storeloop.securityContext" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.securityContext) (index .root.Values .component).securityContext) }}
{{- end }}

{{/* A value as an env string; whole numbers stay whole (values arrive as float64, 86400000 must not become 8.64e+07). */}}
{{- define "storeloop.envValue" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) }}
{{- int64 . | toString }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
Secret environment of a component, every value a secretKeyRef to an existing Secret.
Call with (dict "root" $ "component" "training").
*/}}
{{- define "storeloop.secretEnv" -}}
{{- $root := .root }}
{{- include "storeloop.kafkaSecretEnv" $root }}
{{- with $root.Values.redis.auth.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $root.Values.redis.auth.passwordKey }}
{{- end }}
{{- if and (eq .component "inference") $root.Values.inference.dashboard.enabled $root.Values.inference.dashboard.apiKeySecret }}
- name: DASHBOARD_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.inference.dashboard.apiKeySecret }}
      key: {{ $root.Values.inference.dashboard.apiKeyKey }}
{{- end }}
{{- $s3 := $root.Values.artifacts.s3 }}
{{- if and (has .component (include "storeloop.artifactComponents" $root | fromJsonArray)) (eq $root.Values.artifacts.store "s3") $s3.existingSecret }}
- name: ARTIFACT_S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret }}
      key: {{ $s3.accessKeyIdKey }}
- name: ARTIFACT_S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret }}
      key: {{ $s3.secretAccessKeyKey }}
{{- end }}
{{- end }}
