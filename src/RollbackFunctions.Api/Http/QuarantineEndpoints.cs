using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Quarantine;

namespace RollbackFunctions.Api.Http;

/// <summary>What is quarantined after a rollback, and an operator's early release (<see cref="QuarantineRule"/>).</summary>
public sealed class QuarantineEndpoints(IQuarantineStore quarantine, IAuditLog audit, ApiAccess access, TimeProvider clock)
{
    /// <summary><c>GET /api/quarantine?state=active|all</c> (default active): entries, newest first.</summary>
    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var state = request.Query["state"].ToString();
        if (state is not ("" or "active" or "all"))
        {
            return Problems.BadRequest("state must be 'active' or 'all'");
        }

        var now = clock.GetUtcNow();
        var entries = await quarantine.ListAsync(cancellationToken);
        return Results.Json(
            entries.Where(e => (state == "all" || e.IsActive(now)) && caller!.Permits(e.Service, e.Environment)).OrderByDescending(e => e.QuarantinedAt).Select(e => QuarantineView.Of(e, now)).ToList(),
            ApiJson.Replies);
    }

    /// <summary><c>POST /api/quarantine/release</c> with service, environment, version or digest, and a reason.</summary>
    public async Task<IResult> ReleaseAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, body, refusal) = await OperatorRequest.ReadAsync<QuarantineReleaseRequest>(request, access, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (body!.Problems() is { Count: > 0 } problems)
        {
            return Problems.BadRequest("the release has problems; nothing was changed", problems);
        }

        if (!caller!.Permits(body.Service, body.Environment))
        {
            return Problems.OutOfScope(body.Service!, body.Environment!);
        }

        var now = clock.GetUtcNow();
        var actor = OperatorRequest.ActorOf(request, caller!, body.Actor);
        var subject = body.Subject();
        var releasedNow = false;
        var released = await quarantine.UpdateAsync(body.Service!, body.Environment!, subject,
            e => (releasedNow = e.IsActive(now)) ? e with { Released = new QuarantineRelease(actor, body.Reason!, now) } : null,
            cancellationToken);
        if (released is null || !releasedNow)
        {
            return Problems.NotFound($"{subject} of {body.Service} in {body.Environment} is not quarantined");
        }

        await audit.AppendAsync(
            new AuditEntry(released.RollbackId, actor, AuditActions.QuarantineReleased, new { released.Service, released.Environment, subject = subject.ToString() }, subject.Value, body.Reason!),
            cancellationToken);
        return Results.Json(QuarantineView.Of(released, now), ApiJson.Replies);
    }
}

/// <summary>Body of <c>POST /api/quarantine/release</c>: exactly one of version and digest.</summary>
public sealed class QuarantineReleaseRequest
{
    public string? Service { get; init; }
    public string? Environment { get; init; }
    public string? Version { get; init; }
    public string? Digest { get; init; }
    public string? Reason { get; init; }

    /// <summary>Who releases it, shown beside the key's name in the audit trail.</summary>
    public string? Actor { get; init; }

    internal Dictionary<string, string[]> Problems()
    {
        var problems = new Dictionary<string, string[]>();
        foreach (var (name, value) in new[] { ("service", Service), ("environment", Environment), ("reason", Reason) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems[name] = ["required"];
            }
        }

        if ((Version is null) == (Digest is null))
        {
            problems["version"] = ["give exactly one of version and digest"];
        }
        else if (Digest is not null && !Core.Deploys.Artifact.IsDigest(Digest))
        {
            problems["digest"] = ["must be sha256: followed by 64 lowercase hex digits"];
        }

        return problems;
    }

    internal QuarantineSubject Subject() => Version is not null
        ? new QuarantineSubject(QuarantineSubject.Version, Version)
        : new QuarantineSubject(QuarantineSubject.Digest, Digest!);
}

/// <summary>One quarantine entry as the API shows it.</summary>
public sealed record QuarantineView(
    string Service, string Environment, string Kind, string Value, string RollbackId, string DeployId,
    DateTimeOffset QuarantinedAt, DateTimeOffset Until, bool Active, QuarantineRelease? Released)
{
    public static QuarantineView Of(QuarantineEntry entry, DateTimeOffset now) => new(
        entry.Service, entry.Environment, entry.Subject.Kind, entry.Subject.Value, entry.RollbackId, entry.DeployId,
        entry.QuarantinedAt, entry.Until, entry.IsActive(now), entry.Released);
}
