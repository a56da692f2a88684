using System.Globalization;
using System.Text;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// The Markdown incident report of one rollback (<c>GET /api/rollbacks/{id}/report</c>), fit to paste
/// into a postmortem: what was deployed, what fired, the times to halt, page, first revert and end,
/// each layer with its outcome, what needed a human, the evidence and an accounting of the run. Built
/// only from what is stored: the deploy, the rollback head and steps, samples and the audit trail.
/// </summary>
public static class RollbackReport
{
    private const int MaxSamples = 10;

    public static string Of(DeployRecord? deploy, RollbackRecord head, IReadOnlyList<RollbackStepRecord> steps, IReadOnlyList<VerificationSample> samples, AuditTrail audit, IReadOnlyList<BudgetSpent>? budgets = null)
    {
        var md = new StringBuilder();
        var subject = deploy is null ? head.DeployId : $"{deploy.Service} {deploy.Version} in {deploy.Environment}";
        md.AppendLine(CultureInfo.InvariantCulture, $"# Rollback {head.RollbackId}: {subject} — {head.Phase}").AppendLine();
        if (head.Summary is { } summary)
        {
            md.AppendLine(Text(summary)).AppendLine();
        }

        Deployed(md, deploy, head);
        Fired(md, head.Trigger);
        Timings(md, head, steps, audit);
        Layers(md, steps);
        Humans(md, steps, audit);
        Evidence(md, samples);
        Budget(md, budgets ?? []);
        Accounting(md, head, steps, audit);
        return md.ToString();
    }

    private static void Deployed(StringBuilder md, DeployRecord? deploy, RollbackRecord head)
    {
        md.AppendLine("## What was deployed").AppendLine();
        if (deploy is null)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Deploy {head.DeployId} (its record is gone).").AppendLine();
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"- Deploy `{deploy.DeployId}`: {Text(deploy.Service)} {Text(deploy.Version)} (from {Text(deploy.PreviousVersion ?? "unknown")}) in {Text(deploy.Environment)}, registered {At(deploy.RegisteredAt)}")
            .AppendLine(CultureInfo.InvariantCulture, $"- Steps: {string.Join(", ", deploy.Steps.Select(s => $"`{s.Id}` ({s.Kind})"))}");
        foreach (var target in deploy.GitOps)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- Managed by {target}");
        }

        // What was known before the incident: did the rehearsal see this coming?
        if (deploy.Rehearsal is { } rehearsal)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- Rehearsed {At(rehearsal.At)}: {string.Join("; ", rehearsal.Steps.Select(s => $"`{s.Key}` {s.Value.Outcome} ({Text(s.Value.Detail)})"))}");
        }

        if (deploy.Waiver is { } waiver)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- Readiness waived by {Text(waiver.Actor)} {At(waiver.At)}: {Text(waiver.Reason)}");
        }

        md.AppendLine();
    }

    private static void Fired(StringBuilder md, RollbackTrigger trigger)
    {
        md.AppendLine("## What fired").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Started by {Text(trigger.Actor)} ({trigger.Kind}): {Text(trigger.Reason)}").AppendLine();
        foreach (var alert in trigger.Alerts)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- Alert **{Text(alert.Name)}** ({alert.Source}), started {At(alert.StartsAt)}{(alert.Link is { } link ? $", {Text(link)}" : "")}");
        }

        foreach (var breach in trigger.Breaches)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- Check **{Text(breach.Check)}**: `{Text(breach.Query)}` = {breach.Value?.ToString("G6", CultureInfo.InvariantCulture) ?? "?"} against {Text(breach.Threshold)}, {breach.SamplesInARow} sample(s) in a row");
        }

        md.AppendLine();
    }

    private static void Timings(StringBuilder md, RollbackRecord head, IReadOnlyList<RollbackStepRecord> steps, AuditTrail audit)
    {
        var claimed = head.ClaimedAt;
        var firstAlert = head.Trigger.Alerts.Select(a => (DateTimeOffset?)a.StartsAt).Min();
        var halted = audit.Rows.FirstOrDefault(r => r.Action == AuditActions.DeployHalted)?.At;
        var paged = audit.Rows.FirstOrDefault(r => r.Action == AuditActions.PageSent)?.At;
        var firstRevert = steps.Select(s => s.StartedAt).Where(s => s is not null).Min();
        md.AppendLine("## Timeline").AppendLine()
            .AppendLine("| from the claim | time |")
            .AppendLine("|---|---|");
        if (firstAlert is { } started)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| time to detect (alert start → claim) | {Took(started, claimed)} |");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"| halt | {Took(claimed, halted)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| page | {Took(claimed, paged)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| first revert | {Took(claimed, firstRevert)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| ended ({head.Phase}) | {Took(claimed, head.CompletedAt)} |")
            .AppendLine();
        foreach (var change in head.Timeline)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {At(change.At)} **{change.Phase}**{(change.Note is { } note ? $": {Text(note)}" : "")}");
        }

        md.AppendLine();
    }

    private static void Layers(StringBuilder md, IReadOnlyList<RollbackStepRecord> steps)
    {
        // Unchanged is counted apart: nothing was restored there, and a reader must not count it as reverted.
        var counts = steps.GroupBy(s => s.Status).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal).Select(g => $"{g.Count()} {StatusName(g.Key)}");
        md.AppendLine("## Each layer").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Steps: {string.Join(", ", counts)}.").AppendLine()
            .AppendLine("| step | kind | level | outcome | attempts | took | detail |")
            .AppendLine("|---|---|---|---|---|---|---|");
        foreach (var step in steps)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{step.StepId}` | {step.Kind} | {(step.Level < 0 ? "-" : step.Level)} | {step.Status} | {step.Attempts} | {Took(step.StartedAt, step.FinishedAt)} | {Cell(step.Detail)} |");
        }

        md.AppendLine();
    }

    private static string StatusName(StepStatus status) =>
        status == StepStatus.Unchanged ? "unchanged (already as before the deploy; nothing restored)" : status.ToString();

    private static void Humans(StringBuilder md, IReadOnlyList<RollbackStepRecord> steps, AuditTrail audit)
    {
        var left = steps.Where(s => s.Status.LeftUnreverted() || s.Status == StepStatus.Manual).ToList();
        var decisions = audit.Rows.Where(r => r.Action is AuditActions.ApprovalDecided or AuditActions.ApprovalTimedOut or AuditActions.GitOpsResumed).ToList();
        md.AppendLine("## What needed a human").AppendLine();
        if (left.Count == 0 && decisions.Count == 0)
        {
            md.AppendLine("Nothing: every step was reverted without an operator.").AppendLine();
            return;
        }

        foreach (var step in left)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{step.StepId}` is {step.Status}: {Text(step.Detail)}{(step.Status == StepStatus.AwaitingApproval && step.PlanDigest is { } digest ? $" (plan sha256 `{digest}`)" : "")}");
        }

        foreach (var row in decisions)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {At(row.At)} {Text(row.Actor)}: {row.Action} {row.Outcome} ({Text(row.Detail)})");
        }

        md.AppendLine();
    }

    private static void Evidence(StringBuilder md, IReadOnlyList<VerificationSample> samples)
    {
        md.AppendLine("## Verification").AppendLine();
        if (samples.Count == 0)
        {
            md.AppendLine("No samples were taken.").AppendLine();
            return;
        }

        foreach (var sample in samples.TakeLast(MaxSamples))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {At(sample.At)} {sample.Verdict}: {Text(sample.Summary)}");
        }

        md.AppendLine();
    }

    /// <summary>What the incident cost each SLO, when the deploy has burn-rate checks.</summary>
    private static void Budget(StringBuilder md, IReadOnlyList<BudgetSpent> budgets)
    {
        if (budgets.Count == 0)
        {
            return;
        }

        md.AppendLine("## Error budget").AppendLine();
        foreach (var spent in budgets)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{Text(spent.Check)}** from {At(spent.From)} to {At(spent.To)}: {Text(spent.Detail)}");
        }

        md.AppendLine();
    }

    private static void Accounting(StringBuilder md, RollbackRecord head, IReadOnlyList<RollbackStepRecord> steps, AuditTrail audit)
    {
        md.AppendLine("## Accounting").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"- Audited actions: {audit.Rows.Count} ({string.Join(", ", audit.Rows.GroupBy(r => r.Action).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}); chain {(audit.Verified ? "verified" : $"NOT verified: {Text(audit.Problem ?? "")}")}{(audit.Keyed ? ", keyed" : "")}")
            .AppendLine(CultureInfo.InvariantCulture, $"- Calls per external system: {string.Join(", ", steps.Where(s => s.Attempts > 0).GroupBy(s => s.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(s => s.Attempts)} attempt(s)"))}; pages {audit.Rows.Count(r => r.Action == AuditActions.PageSent)}");
        var phases = head.Timeline.Zip(head.Timeline.Skip(1).Select(c => (DateTimeOffset?)c.At).Append(head.CompletedAt), (change, next) => (change.Phase, Took: Took(change.At, next)));
        md.AppendLine(CultureInfo.InvariantCulture, $"- Time per phase: {string.Join(", ", phases.Where(p => !p.Phase.IsTerminal()).Select(p => $"{p.Phase} {p.Took}"))}");
    }

    private static string Took(DateTimeOffset? from, DateTimeOffset? to) =>
        from is { } start && to is { } end ? $"{(end - start).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s" : "-";

    private static string At(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Stored text on one line with Markdown's active characters escaped: an alert name must not inject links or HTML.</summary>
    private static string Text(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var escaped = new StringBuilder(line.Length);
        foreach (var c in line)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    private static string Cell(string text) => Text(text.Length <= 300 ? text : text[..300] + "…");
}
