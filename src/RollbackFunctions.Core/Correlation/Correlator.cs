using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Correlation;

/// <summary>
/// Ties an alert to the deploy that most plausibly caused it. An alert matches a deploy when
/// service and environment match, every deploy label the alert also carries has the same value,
/// and the alert did not start before the deploy did (give or take <paramref name="clockSkew"/>,
/// how far the alert source's clock may be behind ours). An alert's environment is read as declared
/// (<paramref name="declaredEnvironment"/>: <c>PROD</c> is <c>prod</c>), as deploys are stored. Pure code.
/// </summary>
public sealed class Correlator(CorrelationOptions options, TimeSpan clockSkew = default, Func<string?, string?>? declaredEnvironment = null)
{
    /// <summary>
    /// Whether <paramref name="deploy"/> supersedes every older deploy of its service and
    /// environment (<see cref="DeployLifecycle.SupersedesOlder"/>): lookups need no deploy older than it.
    /// </summary>
    public static bool SupersedesOlder(DeployRecord deploy) => DeployLifecycle.SupersedesOlder(deploy);

    /// <summary>The service and environment an alert names, or null for each it does not.</summary>
    public (string? Service, string? Environment) KeysOf(AlertSignal alert) =>
        (FirstLabel(alert, options.ServiceLabels), FirstLabel(alert, options.EnvironmentLabels) is { } environment ? declaredEnvironment?.Invoke(environment) ?? environment : null);

    /// <summary>
    /// Chooses among <paramref name="deploys"/> of the alert's service and environment. A deploy is a
    /// candidate while live, or once it has a rollback (so re-sent alerts report it instead of
    /// looking unmatched); never when it applied nothing yet, when a newer deploy that applied
    /// something and was not rolled back superseded it, or when it is active but silent past
    /// <see cref="CorrelationOptions.ActiveDeployTimeout"/> (<see cref="DeployLifecycle"/>). Among
    /// candidates: the deploy this episode already belongs to; else one whose rollback is running
    /// (the incident in hand); else the newest live deploy; else the newest with a finished rollback.
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

        var ofService = deploys.Where(d => d.Service == service && d.Environment == environment).OrderByDescending(d => d.RegisteredAt).ThenByDescending(d => d.DeployId, StringComparer.Ordinal).ToList();
        var rejections = new List<string>();
        var matches = new List<DeployRecord>();
        foreach (var deploy in ofService)
        {
            if (WhyNot(alert, deploy, ofService, now) is { } rejection)
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

        if (matches.FirstOrDefault(d => d.DeployId == alert.EpisodeDeployId) is { } episodes)
        {
            return new CorrelationDecision(episodes.DeployId, $"matched {episodes.DeployId}: this alert episode already belongs to it", []);
        }

        var ordered = matches.OrderBy(Preference).ToList(); // stable: newest first within a rank
        var chosen = ordered[0];
        var passedOver = ordered.Skip(1).Select(d => d.DeployId).ToList();
        var reason = passedOver.Count == 0
            ? $"matched {chosen.DeployId} ({service} {chosen.Version} in {environment})"
            : $"matched {chosen.DeployId} ({Preferred(chosen, now)}) of {matches.Count} candidate deploys of {service} in {environment}; passed over {Listed(passedOver, ", ")}";
        return new CorrelationDecision(chosen.DeployId, reason, passedOver);

        int Preference(DeployRecord d) => d.RollbackId is null ? 1 : d.StateAt(now) == DeployState.Halted ? 0 : 2;
    }

    private static string Preferred(DeployRecord deploy, DateTimeOffset now) =>
        deploy.RollbackId is null ? "the newest live deploy" : deploy.StateAt(now) == DeployState.Halted ? "its rollback is running" : "its rollback ended";

    private string? WhyNot(AlertSignal alert, DeployRecord deploy, IReadOnlyList<DeployRecord> ofService, DateTimeOffset now)
    {
        var state = deploy.StateAt(now);
        if (!state.IsLive() && deploy.RollbackId is null)
        {
            return $"state is {state}";
        }

        if (!deploy.HasApplied())
        {
            return "nothing applied yet: no step reported running or applied";
        }

        // A newer deploy that was rolled back, or has applied nothing yet, leaves the service to this one.
        if (DeployLifecycle.SupersededBy(deploy, ofService) is { } newer)
        {
            return $"superseded by {newer.DeployId}";
        }

        if (DeployLifecycle.IsAbandoned(deploy, now, options.ActiveDeployTimeout))
        {
            return $"active but silent since {deploy.LastActivityAt:O} (longer than {options.ActiveDeployTimeout}): treated as abandoned";
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
