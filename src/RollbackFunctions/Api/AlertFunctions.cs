using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>Alert webhooks; each delegates to <see cref="AlertEndpoints"/>.</summary>
public sealed class AlertFunctions(AlertEndpoints alerts)
{
    [Function("AlertmanagerWebhook")]
    public Task<IResult> Alertmanager(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "alerts/alertmanager")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        alerts.AlertmanagerAsync(request, durable, cancellationToken);

    [Function("DatadogWebhook")]
    public Task<IResult> Datadog(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "alerts/datadog")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        alerts.DatadogAsync(request, durable, cancellationToken);
}
