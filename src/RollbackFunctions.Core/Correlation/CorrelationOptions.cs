namespace RollbackFunctions.Core.Correlation;

/// <summary>Which alert labels name the service and the environment. Bound from <c>Rollback:Correlation</c>.</summary>
public sealed class CorrelationOptions
{
    /// <summary>Label names tried in order for the service.</summary>
    public List<string> ServiceLabels { get; set; } = ["service", "app", "app_kubernetes_io_name"];

    /// <summary>Label names tried in order for the environment.</summary>
    public List<string> EnvironmentLabels { get; set; } = ["environment", "env"];

    /// <summary>Whether both lists name at least one label and none is blank: checked when the host starts.</summary>
    public bool AreUsable() =>
        ServiceLabels.Count > 0 && EnvironmentLabels.Count > 0
        && ServiceLabels.Concat(EnvironmentLabels).All(label => !string.IsNullOrWhiteSpace(label));
}
