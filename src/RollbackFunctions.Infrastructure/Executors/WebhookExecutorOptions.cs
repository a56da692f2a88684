using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>Bound from <c>Rollback:Executors:Webhook</c>.</summary>
public sealed class WebhookExecutorOptions
{
    /// <summary>
    /// Hosts a revert webhook may call (<c>host</c> or <c>host:port</c>). A deploy payload names the
    /// URL, so without this list anyone who can register a deploy could make us call anything.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Timeout of one HTTP attempt. At most 15 s: the standard resilience pipeline's circuit breaker
    /// samples over 30 s and refuses an attempt timeout longer than half of that, at call time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:00:15")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
