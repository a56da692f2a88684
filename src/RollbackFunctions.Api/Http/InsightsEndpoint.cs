using System.Globalization;
using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Insights;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// <c>GET /api/insights?environment=&amp;service=&amp;days=30</c>: the impact figures of the last
/// <c>days</c> days (1 to 90), per service and environment and in total, of what the key may see.
/// </summary>
public sealed class InsightsEndpoint(ImpactReader reader, ApiAccess access, TimeProvider clock)
{
    public const int DefaultDays = 30;
    public const int MaxDays = 90;
    private const int MaxName = 200;

    public async Task<IResult> GetAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var errors = new Dictionary<string, string[]>();
        var days = Days(request.Query["days"], errors);
        var service = Name(request.Query["service"], "service", errors);
        var environment = Name(request.Query["environment"], "environment", errors);
        if (errors.Count > 0)
        {
            return Problems.BadRequest("the insights query has problems", errors);
        }

        var to = clock.GetUtcNow();
        return Results.Json(await reader.ReadAsync(to.AddDays(-days), to, service, environment, caller!.Permits, cancellationToken), ApiJson.Replies);
    }

    private static int Days(Microsoft.Extensions.Primitives.StringValues values, Dictionary<string, string[]> errors)
    {
        if (values.Count == 0)
        {
            return DefaultDays;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= MaxDays)
        {
            return days;
        }

        errors["days"] = [$"must be a whole number of days from 1 to {MaxDays}"];
        return DefaultDays;
    }

    /// <summary>A service or environment to narrow to; absent or empty: all.</summary>
    private static string? Name(Microsoft.Extensions.Primitives.StringValues values, string name, Dictionary<string, string[]> errors)
    {
        if (values.Count == 0 || (values.Count == 1 && values[0] == ""))
        {
            return null;
        }

        if (values.Count > 1 || values[0]!.Length > MaxName || values[0]!.Any(char.IsControl))
        {
            errors[name] = [$"one {name}, up to {MaxName} characters, no control characters"];
            return null;
        }

        return values[0];
    }
}
