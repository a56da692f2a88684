using System.Collections;

namespace RollbackFunctions.Infrastructure.Executors.Processes;

/// <summary>
/// The environment a tool starts with: an allow-list of the host's variables a program needs to
/// run at all, plus what its executor passes on purpose. Everything else the host holds (app
/// settings, resolved Key Vault values, storage connection strings, the audit key) is removed:
/// terraform runs provider plugins downloaded from the internet, and any of them could print it.
/// </summary>
public static class ChildEnvironment
{
    /// <summary>Host variables passed through by name: where programs are, home and temp folders, locale, proxies.</summary>
    public static readonly IReadOnlySet<string> Allowed = new HashSet<string>(StringComparer.Ordinal)
    {
        "PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "LC_ALL",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    };

    /// <summary>
    /// The variables to set for a child, as CliWrap applies them over the inherited environment:
    /// a null value removes a variable, so every host variable not allowed is listed with null.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> For(IReadOnlyDictionary<string, string?>? passed)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && !IsAllowed(name))
            {
                result[name] = null;
            }
        }

        foreach (var (name, value) in passed ?? new Dictionary<string, string?>())
        {
            result[name] = value;
        }

        return result;
    }

    /// <summary>
    /// The same for a child started with <see cref="System.Diagnostics.ProcessStartInfo"/> (whose
    /// environment starts as the host's): every variable not allowed, nor by <paramref name="alsoAllowed"/>, is removed.
    /// </summary>
    public static void ApplyTo(System.Diagnostics.ProcessStartInfo start, Func<string, bool>? alsoAllowed = null)
    {
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (!IsAllowed(name) && alsoAllowed?.Invoke(name) != true)
            {
                start.Environment.Remove(name);
            }
        }
    }

    private static bool IsAllowed(string name) => Allowed.Contains(name) || name.StartsWith("LC_", StringComparison.Ordinal);
}
