using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

using RollbackFunctions.Core.Telemetry;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// Alert intake from Alertmanager and Datadog. Every alert is recorded with its correlation
/// decision; firing alerts start the rollback of the deploy they match. Replies are 202 with a
/// summary; a storage or engine failure is a 5xx so the sender retries rather than losing the alert.
/// </summary>
public sealed class AlertEndpoints(
    IDeployStore deploys,
    IAlertLog alertLog,
    IAuditLog audit,
    Correlator correlator,
    DeployEnvironments environments,
    RollbackStarter starter,
    ApiAccess access,
    TimeProvider clock,
    ILogger<AlertEndpoints> logger)
{
    /// <summary><c>POST /api/alerts/alertmanager</c> (webhook payload version 4).</summary>
    public Task<IResult> AlertmanagerAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken) =>
        IntakeAsync(request, AlertmanagerParser.Parse, durable, cancellationToken);

    /// <summary><c>POST /api/alerts/datadog</c> (the payload template in docs/integrations.md).</summary>
    public Task<IResult> DatadogAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken) =>
        IntakeAsync(request, root => new AlertBatch([DatadogParser.Parse(root)], []), durable, cancellationToken);

    /// <summary>
    /// Largest alert webhook accepted: a real Alertmanager group of a few thousand alerts with
    /// annotations fits (about 2 KiB each); docs/integrations.md recommends <c>max_alerts</c> to stay well inside.
    /// </summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>Storage calls one webhook makes at a time for its alerts (a group may hold thousands).</summary>
    private const int StorageParallelism = 16;

    /// <summary>How many unreadable alerts of one webhook are audited one by one; the rest are counted.</summary>
    private const int MaxRejectedAudited = 20;

    private async Task<IResult> IntakeAsync(
        HttpRequest request,
        Func<JsonElement, AlertBatch> parse,
        DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Alerts);
        if (refusal is not null)
        {
            return refusal;
        }

        var (document, problem) = await JsonBody.ReadAsync(request, cancellationToken, maxBytes: MaxBodyBytes);
        using var _ = document;
        if (problem is not null)
        {
            // Not silent: what cannot be read is at least in the log, at error level.
            ApiLog.AlertWebhookRefused(logger, request.Path, request.ContentLength);
            return problem;
        }

        AlertBatch batch;
        try
        {
            batch = parse(document!.RootElement);
        }
        catch (AlertPayloadException e)
        {
            ApiLog.AlertWebhookRefused(logger, request.Path, request.ContentLength);
            return Problems.BadRequest($"unreadable alert payload: {e.Message}");
        }

        if (batch.Alerts.Count == 0 && batch.Rejected.Count > 0)
        {
            ApiLog.AlertWebhookRefused(logger, request.Path, request.ContentLength);
            return Problems.BadRequest($"no alert in the payload could be read: {string.Join("; ", batch.Rejected.Take(5))}");
        }

        if (Refuse(batch.Alerts, caller!) is { } outOfBounds)
        {
            ApiLog.AlertWebhookRefused(logger, request.Path, request.ContentLength);
            return outOfBounds;
        }

        var alerts = batch.Alerts;
        var now = clock.GetUtcNow();
        await RecordRejectedAsync(batch, caller!, now, cancellationToken);
        await NoteFiringServicesAsync(alerts, now, cancellationToken);
        var candidates = new Dictionary<(string?, string?), IReadOnlyList<DeployRecord>>();
        var matched = new Dictionary<string, RollbackStart>();
        var unmatched = 0;
        // Every alert is correlated before any acts, so a rollback's evidence is exactly the alerts
        // that matched its deploy. Firing alerts first, so a resolved alert in the same call cannot
        // shadow the start of a rollback.
        var ordered = alerts.OrderBy(a => a.Status != AlertStatus.Firing).ToList();
        var episodes = await EpisodesOfAsync(ordered, cancellationToken);
        var decided = new List<(AlertSignal Alert, CorrelationDecision Decision, string? SettledRollbackId)>();
        foreach (var (received, episode) in ordered.Zip(episodes))
        {
            var alert = episode is null ? received : received with { FirstReceivedAt = episode.FirstReceivedAt, EpisodeDeployId = episode.DeployId };
            decided.Add(episode is { DeployId: { } settledDeploy, RollbackId: { } settledRollback }
                ? (alert, new CorrelationDecision(settledDeploy, $"re-sent: this episode started or joined rollback {settledRollback}", []), settledRollback)
                : (alert, await DecideAsync(alert, candidates, now, cancellationToken), null));
        }

        var outcomes = new List<(AlertSignal Alert, CorrelationDecision Decision, string? RollbackId)>();
        foreach (var (alert, matchedDecision, settledRollbackId) in decided)
        {
            var decision = matchedDecision;
            RollbackStart? start = null;
            if (decision.DeployId is { } deployId)
            {
                // A re-send of an episode that already names its rollback has nothing left to decide.
                start = matched.GetValueOrDefault(deployId) ?? (settledRollbackId is not null
                    ? new RollbackStart(deployId, settledRollbackId, Started: false)
                    : alert.Status == AlertStatus.Firing
                        ? await starter.StartAsync(durable, deployId, TriggerOf(decided, decision), cancellationToken)
                        : await ExistingRollbackAsync(deployId, cancellationToken));
                if (start is not null)
                {
                    matched.TryAdd(deployId, start);
                }
            }
            else
            {
                unmatched++;
            }

            if (start?.Refusal is { } refused)
            {
                // Matched, and the guardrails said no: the alert's record says both.
                decision = decision with { Reason = $"{decision.Reason}; {refused}" };
            }

            outcomes.Add((alert, decision, start is { Refusal: null } ? start.RollbackId : null));
        }

        if (alerts.Count > 0)
        {
            RollbackTelemetry.AlertsRead(alerts[0].Source.ToString().ToLowerInvariant(), alerts.Count, unmatched);
        }

        // Each alert's record and audit row are its own, so a large group is written several at a
        // time; the reply waits for every one of them (nothing acknowledged that is not stored).
        await Parallel.ForEachAsync(outcomes, new ParallelOptions { MaxDegreeOfParallelism = StorageParallelism, CancellationToken = cancellationToken }, async (outcome, token) =>
        {
            var (alert, decision, rollbackId) = outcome;
            if (await alertLog.RecordAsync(alert, decision, rollbackId, now, token))
            {
                LogDecision(alert, decision);
                // Audited once per alert episode and status; re-sends only move the alert's counter.
                var chain = rollbackId ?? AuditChains.Intake(now, alert.DedupKey);
                await audit.AppendAsync(
                    new AuditEntry(chain, caller!.ActorFor(null, alert.Source.ToString().ToLowerInvariant()), AuditActions.AlertReceived, alert, alert.Status.ToString(), $"{alert.Name}: {decision.Reason}"),
                    token);
            }
        });

        return Results.Json(
            new AlertIntakeReply(
                Received: alerts.Count,
                Firing: alerts.Count(a => a.Status == AlertStatus.Firing),
                Resolved: alerts.Count(a => a.Status == AlertStatus.Resolved),
                Unmatched: unmatched,
                Deploys: matched.Values.OrderBy(m => m.DeployId, StringComparer.Ordinal).ToList(),
                Rejected: batch.Rejected.Count,
                Problems: batch.Rejected.Take(MaxRejectedAudited).ToList()),
            ApiJson.Replies,
            statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// The whole webhook is refused, before anything is recorded, when an alert names an environment
    /// that is not declared (422: it would escape that environment's policy) or a service or
    /// environment outside the key's scope (403). Alerts without those labels stay unmatched as before.
    /// </summary>
    private IResult? Refuse(IReadOnlyList<AlertSignal> alerts, Caller caller)
    {
        var keys = alerts.Select(correlator.KeysOf).Distinct().ToList();
        var undeclared = keys.Where(k => k.Environment is not null && environments.Declared(k.Environment) is null).Select(k => environments.Undeclared(k.Environment)).Distinct().ToArray();
        if (undeclared.Length > 0)
        {
            return Problems.Unprocessable("an alert names an environment that is not declared; nothing was recorded", new Dictionary<string, string[]> { ["alerts"] = undeclared });
        }

        var outside = keys.Where(k => !caller.Permits(k.Service, k.Environment)).ToList();
        return outside.Count > 0 ? Problems.OutOfScope(outside[0].Service, outside[0].Environment) : null;
    }

    /// <summary>
    /// The alerts of a webhook that could not be read, kept where operators look: the log and the
    /// day's intake audit chain (the first few one by one, then a count).
    /// </summary>
    private async Task RecordRejectedAsync(AlertBatch batch, Caller caller, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rejected = batch.Truncated > 0
            ? batch.Rejected.Append($"{batch.Truncated} alert(s) left out by the sender (Alertmanager max_alerts): raise it, or group by fewer labels").ToList()
            : batch.Rejected;
        if (rejected.Count == 0)
        {
            return;
        }

        ApiLog.AlertsRejected(logger, rejected.Count, rejected[0]);
        var chain = AuditChains.Intake(now, rejected[0]);
        foreach (var problem in rejected.Take(MaxRejectedAudited))
        {
            await audit.AppendAsync(new AuditEntry(chain, caller.ActorFor(null, "alerts"), AuditActions.AlertRejected, null, "rejected", problem), cancellationToken);
        }

        if (rejected.Count > MaxRejectedAudited)
        {
            await audit.AppendAsync(new AuditEntry(chain, caller.ActorFor(null, "alerts"), AuditActions.AlertRejected, null, "rejected", $"and {rejected.Count - MaxRejectedAudited} more unreadable alerts in the same webhook"), cancellationToken);
        }
    }

    /// <summary>Every service firing here counts toward the mass-alert guard, matched to a deploy or not.</summary>
    private async Task NoteFiringServicesAsync(IReadOnlyList<AlertSignal> alerts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var firing = alerts.Where(a => a.Status == AlertStatus.Firing).Select(correlator.KeysOf).Distinct();
        foreach (var (service, environment) in firing)
        {
            if (service is not null && environment is not null)
            {
                await alertLog.NoteFiringAsync(service, environment, now, cancellationToken);
            }
        }
    }

    /// <summary>
    /// What earlier notifications of each firing episode tell, read several at a time: when it was
    /// first received here (a Datadog notification's start is when it was sent unless its template
    /// passes <c>$LAST_TRIGGERED_AT_EPOCH</c>, so a re-notification of an old episode must not match a
    /// deploy registered since), the deploy it matched (re-sends stay with it) and its rollback.
    /// </summary>
    private async Task<FiringEpisode?[]> EpisodesOfAsync(IReadOnlyList<AlertSignal> alerts, CancellationToken cancellationToken)
    {
        var episodes = new FiringEpisode?[alerts.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, alerts.Count), new ParallelOptions { MaxDegreeOfParallelism = StorageParallelism, CancellationToken = cancellationToken }, async (i, token) =>
            episodes[i] = alerts[i].Status == AlertStatus.Firing ? await alertLog.FiringEpisodeAsync(alerts[i].DedupKey, token) : null);
        return episodes;
    }

    /// <summary>Correlates one alert; the deploys of a service and environment are read once per webhook, however many alerts name them.</summary>
    private async Task<CorrelationDecision> DecideAsync(
        AlertSignal alert,
        Dictionary<(string?, string?), IReadOnlyList<DeployRecord>> candidates,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var keys = correlator.KeysOf(alert);
        if (!candidates.TryGetValue(keys, out var deploysOfService))
        {
            deploysOfService = keys is (string service, string environment) ? await deploys.FindAsync(service, environment, cancellationToken, Correlator.SupersedesOlder) : [];
            candidates[keys] = deploysOfService;
        }

        return correlator.Decide(alert, deploysOfService, now);
    }

    private void LogDecision(AlertSignal alert, CorrelationDecision decision)
    {
        var source = alert.Source.ToString().ToLowerInvariant();
        if (decision.DeployId is { } deployId)
        {
            ApiLog.AlertMatched(logger, alert.Name, source, alert.Status.ToString(), deployId, decision.Reason);
        }
        else
        {
            ApiLog.AlertUnmatched(logger, alert.Name, source, alert.Status.ToString(), decision.Reason);
        }
    }

    /// <summary>A resolved alert reports the rollback it belongs to, if any, and starts nothing.</summary>
    private async Task<RollbackStart?> ExistingRollbackAsync(string deployId, CancellationToken cancellationToken) =>
        (await deploys.GetAsync(deployId, cancellationToken))?.RollbackId is { } rollbackId ? new RollbackStart(deployId, rollbackId, false) : null;

    /// <summary>The evidence: every firing alert of this webhook that matched the same deploy (and no other, however alike).</summary>
    private static RollbackTrigger TriggerOf(IReadOnlyList<(AlertSignal Alert, CorrelationDecision Decision, string? SettledRollbackId)> decided, CorrelationDecision decision)
    {
        var evidence = decided.Where(d => d.Alert.Status == AlertStatus.Firing && d.Decision.DeployId == decision.DeployId).Select(d => d.Alert).ToList();
        return new RollbackTrigger(TriggerKinds.Alert, RollbackActors.System, decision.Reason, evidence);
    }
}

/// <summary>What an alert webhook call did.</summary>
/// <param name="Received">Alerts read from the body.</param>
/// <param name="Firing">Of them, firing.</param>
/// <param name="Resolved">Of them, resolved.</param>
/// <param name="Unmatched">Alerts that matched no deploy.</param>
/// <param name="Deploys">The deploys matched, with the rollback each started or already had (or the policy's refusal).</param>
/// <param name="Rejected">Alerts that could not be read; the others were processed.</param>
/// <param name="Problems">What was wrong with the first of them.</param>
public sealed record AlertIntakeReply(int Received, int Firing, int Resolved, int Unmatched, IReadOnlyList<RollbackStart> Deploys, int Rejected, IReadOnlyList<string> Problems);
