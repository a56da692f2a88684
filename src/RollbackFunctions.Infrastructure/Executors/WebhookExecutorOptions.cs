namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>Bound from <c>Rollback:Executors:Webhook</c>.</summary>
public sealed class WebhookExecutorOptions
{
    /// <summary>
    /// Hosts a revert webhook may call (<c>host</c> or <c>host:port</c>). A deploy payload names the
    /// URL, so without this list anyone who can register a deploy could make us call anything.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
