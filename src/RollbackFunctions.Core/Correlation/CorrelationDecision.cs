namespace RollbackFunctions.Core.Correlation;

/// <summary>
/// Why an alert was or was not tied to a deploy. Recorded for every alert, matched or not, so no
/// alert disappears without a trace.
/// </summary>
/// <param name="DeployId">The deploy chosen, or null when none matched.</param>
/// <param name="Reason">One sentence for humans.</param>
/// <param name="PassedOver">Other live deploys that matched but were older: the newest deploy wins.</param>
public sealed record CorrelationDecision(string? DeployId, string Reason, IReadOnlyList<string> PassedOver)
{
    public static CorrelationDecision Unmatched(string reason) => new(null, reason, []);
}
