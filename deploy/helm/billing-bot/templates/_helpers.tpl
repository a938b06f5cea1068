{{- define "billing-bot.name" -}}{{ .Release.Name }}-billing-bot{{- end -}}

{{- define "billing-bot.labels" -}}
app.kubernetes.io/name: billing-bot
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The container's image, settings and secrets; `run_dispatcher` decides RUN_DISPATCHER. */}}
{{- define "billing-bot.container" -}}
image: "{{ .root.Values.image.repository }}:{{ .root.Values.image.tag }}"
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
env:
{{- range $name, $value := .root.Values.env }}
  - name: {{ $name }}
    value: {{ $value | quote }}
{{- end }}
  - name: RUN_DISPATCHER
    value: {{ .run_dispatcher | quote }}
{{- with .root.Values.existingSecret }}
envFrom:
  - secretRef:
      name: {{ . }}
{{- end }}
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
