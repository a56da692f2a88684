namespace RollbackFunctions.Core.Correlation;

/// <summary>Which alert labels name the service and the environment. Bound from <c>Rollback:Correlation</c>.</summary>
public sealed class CorrelationOptions
{
    /// <summary>Label names tried in order for the service.</summary>
    public List<string> ServiceLabels { get; set; } = ["service", "app", "app_kubernetes_io_name"];

    /// <summary>Label names tried in order for the environment.</summary>
    public List<string> EnvironmentLabels { get; set; } = ["environment", "env"];

    /// <summary>
    /// An active deploy (CI never reported completion) silent for longer than this is abandoned and
    /// matches no alert: a pipeline that died must not have its deploy reverted days later.
    /// </summary>
    public TimeSpan ActiveDeployTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Whether both lists name at least one label and none is blank: checked when the host starts.</summary>
    public bool AreUsable() =>
        ActiveDeployTimeout > TimeSpan.Zero && ServiceLabels.Count > 0 && EnvironmentLabels.Count > 0
        && ServiceLabels.Concat(EnvironmentLabels).All(label => !string.IsNullOrWhiteSpace(label));
}
