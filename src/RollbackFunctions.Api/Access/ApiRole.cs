namespace RollbackFunctions.Api.Access;

/// <summary>What a key may do. A key holds one or more; each route needs exactly one.</summary>
public enum ApiRole
{
    /// <summary>CI pipelines: register a deploy, report its steps, complete it, read its gate.</summary>
    Ci,

    /// <summary>Alert sources: the Alertmanager and Datadog webhooks.</summary>
    Alerts,

    /// <summary>On-call: start, approve, reject and abort rollbacks, resume GitOps sync.</summary>
    Operator,

    /// <summary>Dashboards and people reading: every GET but health, which is anonymous.</summary>
    Reader,
}
