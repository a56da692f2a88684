using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Core.Verification;

/// <summary>
/// An SLO burn-rate check, the multiwindow, multi-burn-rate rule of Google's SRE workbook
/// ("Alerting on SLOs"): the error ratio over a window divided by the budget <c>1 - objective</c> is
/// the burn rate; a pair <c>[short, long, factor]</c> fires when both windows burn faster than
/// <c>factor</c>. The long window proves the burn is real, the short one that it is still going on
/// (so the check turns healthy minutes after a rollback, not an hour later). 14.4 over 1 h spends
/// 2 % of a 30-day budget; 6 over 6 h spends 5 %.
/// </summary>
public sealed partial record BurnRateCheck
{
    /// <summary>The SLO, e.g. 0.999 for 99.9 % of requests good.</summary>
    public double Objective { get; init; }

    /// <summary>Good events per second over <c>$window</c>, e.g. <c>sum(rate(http_requests_total{code!~"5.."}[$window]))</c>.</summary>
    public string Good { get; init; } = "";

    /// <summary>All events per second over <c>$window</c>.</summary>
    public string Total { get; init; } = "";

    /// <summary>Pairs <c>["5m", "1h", 14.4]</c>: short window, long window, burn-rate factor. Default: the workbook's two paging pairs.</summary>
    public List<List<JsonElement>>? Windows { get; init; }

    /// <summary>The placeholder the queries put where a range goes.</summary>
    public const string WindowPlaceholder = "$window";

    /// <summary>The SRE workbook's paging pairs: 2 % of a 30-day budget in an hour, 5 % in six hours.</summary>
    public static IReadOnlyList<BurnWindowPair> DefaultPairs { get; } = [new("5m", "1h", 14.4), new("30m", "6h", 6)];

    /// <summary>The pairs as registered, or the defaults; null with a reason when a pair is not <c>[duration, duration, number]</c>.</summary>
    public IReadOnlyList<BurnWindowPair>? Pairs(out string? problem)
    {
        problem = null;
        if (Windows is not { Count: > 0 })
        {
            return DefaultPairs;
        }

        var pairs = new List<BurnWindowPair>();
        foreach (var window in Windows)
        {
            if (window is not { Count: 3 } || window[0].ValueKind != JsonValueKind.String || window[1].ValueKind != JsonValueKind.String
                || !window[2].TryGetDouble(out var factor) || !double.IsFinite(factor) || factor <= 0)
            {
                problem = "each window is [short, long, factor], e.g. [\"5m\", \"1h\", 14.4], with a factor above 0";
                return null;
            }

            var (shortWindow, longWindow) = (window[0].GetString()!, window[1].GetString()!);
            if (DurationOf(shortWindow) is not { } s || DurationOf(longWindow) is not { } l || s >= l)
            {
                problem = $"[\"{shortWindow}\", \"{longWindow}\"]: windows are Prometheus durations (30s, 5m, 1h, 1d), the short one shorter";
                return null;
            }

            pairs.Add(new BurnWindowPair(shortWindow, longWindow, factor));
        }

        return pairs;
    }

    /// <summary>The query for one window.</summary>
    public static string ForWindow(string query, string window) => query.Replace(WindowPlaceholder, window, StringComparison.Ordinal);

    /// <summary>A Prometheus duration such as <c>5m</c> or <c>1h30m</c>, or null.</summary>
    public static TimeSpan? DurationOf(string text)
    {
        var match = Duration().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789".ToCharArray());
            var amount = long.Parse(part.Value[..^unit.Length], CultureInfo.InvariantCulture);
            total += unit switch { "ms" => TimeSpan.FromMilliseconds(amount), "s" => TimeSpan.FromSeconds(amount), "m" => TimeSpan.FromMinutes(amount), "h" => TimeSpan.FromHours(amount), "d" => TimeSpan.FromDays(amount), _ => TimeSpan.FromDays(7 * amount) };
        }

        return total > TimeSpan.Zero ? total : null;
    }

    [GeneratedRegex("^(?<part>[0-9]{1,6}(ms|s|m|h|d|w))+$")]
    private static partial Regex Duration();
}

/// <summary>One pair of windows and the burn rate both must exceed.</summary>
public sealed record BurnWindowPair(string Short, string Long, double Factor);
