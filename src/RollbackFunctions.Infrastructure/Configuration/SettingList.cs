using Microsoft.Extensions.Configuration;

namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>
/// The one reading of a list setting. It may be written as a list (<c>Environments:0=prod</c>,
/// <c>Environments:1=staging</c>, as JSON arrays bind) or as one value (<c>Environments=prod,staging</c>,
/// as SREs write app settings on Azure: <c>Rollback__...__Environments=prod,staging</c>). The
/// configuration binder reads only the first form into a <c>List&lt;string&gt;</c> and silently drops
/// the second, so every list setting that scopes or targets something is read here instead.
/// </summary>
public static class SettingList
{
    /// <summary>Each entry of <paramref name="values"/>, split at commas, trimmed, empty ones dropped.</summary>
    public static IEnumerable<string> Split(IEnumerable<string?> values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The list at <paramref name="section"/>: its own value and its children's, each split at commas, without repeats.</summary>
    public static List<string> Read(IConfigurationSection section) =>
        Split([section.Value, .. section.GetChildren().Select(child => child.Value)]).Distinct(StringComparer.Ordinal).ToList();
}
