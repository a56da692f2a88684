using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Correlation;

/// <summary>
/// Ties an alert to the deploy that most plausibly caused it. An alert matches a deploy when
/// service and environment match, every deploy label the alert also carries has the same value,
/// and the alert did not start before the deploy did (give or take <paramref name="clockSkew"/>,
/// how far the alert source's clock may be behind ours). Pure code.
/// </summary>
public sealed class Correlator(CorrelationOptions options, TimeSpan clockSkew = default)
{
    /// <summary>The service and environment an alert names, or null for each it does not.</summary>
    public (string? Service, string? Environment) KeysOf(AlertSignal alert) =>
        (FirstLabel(alert, options.ServiceLabels), FirstLabel(alert, options.EnvironmentLabels));

    /// <summary>
    /// Chooses among <paramref name="deploys"/> of the alert's service and environment.
    /// Deploys that already have a rollback stay matchable so re-sent alerts report it instead of
    /// looking unmatched.
    /// </summary>
    public CorrelationDecision Decide(AlertSignal alert, IEnumerable<DeployRecord> deploys, DateTimeOffset now)
    {
        var (service, environment) = KeysOf(alert);
        if (service is null || environment is null)
        {
            return CorrelationDecision.Unmatched(
                $"alert carries no {(service is null ? "service" : "environment")} label " +
                $"(looked for {string.Join(", ", service is null ? options.ServiceLabels : options.EnvironmentLabels)})");
        }

        var rejections = new List<string>();
        var matches = new List<DeployRecord>();
        foreach (var deploy in deploys.Where(d => d.Service == service && d.Environment == environment).OrderByDescending(d => d.RegisteredAt))
        {
            if (WhyNot(alert, deploy, now) is { } rejection)
            {
                rejections.Add($"{deploy.DeployId}: {rejection}");
            }
            else
            {
                matches.Add(deploy);
            }
        }

        if (matches.Count == 0)
        {
            var detail = rejections.Count == 0 ? "no deploy registered" : Listed(rejections, "; ");
            return CorrelationDecision.Unmatched($"no live deploy of {service} in {environment} matches ({detail})");
        }

        var ordered = matches.OrderByDescending(d => d.RegisteredAt).ThenByDescending(d => d.DeployId, StringComparer.Ordinal).ToList();
        var chosen = ordered[0];
        var passedOver = ordered.Skip(1).Select(d => d.DeployId).ToList();
        var reason = passedOver.Count == 0
            ? $"matched {chosen.DeployId} ({service} {chosen.Version} in {environment})"
            : $"matched {chosen.DeployId}, the newest of {matches.Count} live deploys of {service} in {environment}; passed over {Listed(passedOver, ", ")}";
        return new CorrelationDecision(chosen.DeployId, reason, passedOver);
    }

    private string? WhyNot(AlertSignal alert, DeployRecord deploy, DateTimeOffset now)
    {
        var state = deploy.StateAt(now);
        if (!state.IsLive() && deploy.RollbackId is null)
        {
            return $"state is {state}";
        }

        if (alert.StartsAt < deploy.RegisteredAt - clockSkew)
        {
            return $"alert started {alert.StartsAt:O}, before the deploy ({deploy.RegisteredAt:O})";
        }

        if (alert.FirstReceivedAt < deploy.RegisteredAt)
        {
            return $"alert episode first received {alert.FirstReceivedAt:O}, before the deploy ({deploy.RegisteredAt:O})";
        }

        foreach (var (name, value) in deploy.Labels)
        {
            if (alert.Labels.TryGetValue(name, out var alertValue) && alertValue != value)
            {
                return $"label {name} is '{alertValue}' on the alert, '{value}' on the deploy";
            }
        }

        return null;
    }

    private static string? FirstLabel(AlertSignal alert, IEnumerable<string> names) =>
        names.Select(name => alert.Labels.GetValueOrDefault(name)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>
    /// The first few items (newest first) and a count of the rest: an explanation is stored with
    /// every alert and must stay small however many deploys a service has had.
    /// </summary>
    private static string Listed(IReadOnlyList<string> items, string separator) =>
        items.Count <= MaxListed
            ? string.Join(separator, items)
            : $"{string.Join(separator, items.Take(MaxListed))}{separator}and {items.Count - MaxListed} more";

    private const int MaxListed = 5;
}
