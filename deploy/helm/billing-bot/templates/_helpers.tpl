{{- define "billing-bot.name" -}}{{ .Release.Name }}-billing-bot{{- end -}}

{{- define "billing-bot.labels" -}}
app.kubernetes.io/name: billing-bot
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The container's image, settings and secrets; `run_dispatcher` decides RUN_DISPATCHER.
Teams credentials are required: without them `serve` would run unauthenticated (local mode). */}}
{{- define "billing-bot.container" -}}
{{- $_ := required "env.TEAMS_APP_ID is required: the Azure Bot registration's app id (without it Teams requests are not authenticated)" .root.Values.env.TEAMS_APP_ID -}}
{{- $_ := required "existingSecret is required: a Secret holding TEAMS_APP_PASSWORD (and METRICS_TOKEN, Slack's secrets)" .root.Values.existingSecret -}}
image: "{{ .root.Values.image.repository }}:{{ .root.Values.image.tag }}"
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
env:
{{- range $name, $value := .root.Values.env }}
  - name: {{ $name }}
    value: {{ $value | quote }}
{{- end }}
  - name: RUN_DISPATCHER
    value: {{ .run_dispatcher | quote }}
envFrom:
  - secretRef:
      name: {{ .root.Values.existingSecret }}
{{- end -}}

{{- define "billing-bot.probes" -}}
ports:
  - name: http
    containerPort: {{ .Values.env.PORT | int }}
# Ready: the model is loaded and the bot can answer (traffic only then).
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  failureThreshold: 2
# Alive: the server answers (a restart would not help a slow model load: see startupProbe).
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  failureThreshold: 3
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 5
  failureThreshold: 60
{{- end -}}
