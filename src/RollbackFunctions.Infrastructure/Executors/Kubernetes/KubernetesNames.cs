using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>Kubernetes' own naming rules, checked at registration so a typo is a 400, not a failed revert.</summary>
public static partial class KubernetesNames
{
    /// <summary>RFC 1123 label (namespaces): lower-case alphanumerics and '-', at most 63.</summary>
    [GeneratedRegex("^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    public static partial Regex Label();

    /// <summary>RFC 1123 subdomain (most object names): labels joined by '.', at most 253.</summary>
    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    public static partial Regex Subdomain();

    /// <summary>Names of configured clusters.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    public static partial Regex Cluster();

    public const string LabelRule = "must be a DNS-1123 label (lower-case letters, digits and '-', at most 63)";
    public const string SubdomainRule = "must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253)";
}
