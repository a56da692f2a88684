namespace RollbackFunctions.Core.Verification;

/// <summary>
/// Every fault of sampling is an <see cref="Verdict.Error"/> sample, never an exception: a source
/// that throws (the resilience pipeline's <c>BrokenCircuitException</c> or
/// <c>RateLimiterRejectedException</c>, a reply missing <c>data</c>, a bug in a parser) must not fail
/// the watcher or verification, and a failed query is never health or breach (SAFETY.md 8).
/// </summary>
public static class SamplingFaults
{
    public static async Task<CheckResult> SampleOrErrorAsync(this CheckSampler sampler, ConditionCheck check, CancellationToken cancellationToken)
    {
        try
        {
            return await sampler.SampleAsync(check, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new CheckResult(check.Name, Verdict.Error, null, $"query failed: {e.GetType().Name}: {e.Message}");
        }
    }
}
