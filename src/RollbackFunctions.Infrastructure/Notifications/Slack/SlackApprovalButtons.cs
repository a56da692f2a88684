using System.Text.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Infrastructure.Notifications.Slack;

/// <summary>
/// The Approve and Reject buttons of a step waiting for approval (Block Kit), and what a click on
/// one names: written into the message here and read back from Slack's interaction here, so the
/// two cannot drift apart. The button's value carries the plan digest the message showed, so a
/// click approves exactly that plan (SAFETY.md 3).
/// </summary>
public static class SlackApprovalButtons
{
    public const string ApproveAction = "rollback.approve";
    public const string RejectAction = "rollback.reject";

    /// <summary>The link button to the ops page: Slack reports its clicks too, and they are only acknowledged.</summary>
    public const string OpenAction = "rollback.open";

    /// <summary>An actions block for one waiting step.</summary>
    public static JsonObject For(RollbackStepRecord step, string rollbackId, string opsPageUrl)
    {
        var value = JsonSerializer.Serialize(new ButtonValue(rollbackId, step.StepId, step.PlanDigest));
        var what = step.PlanDigest is null ? $"revert step {step.StepId} ({step.Kind})" : $"revert step {step.StepId} ({step.Kind}) with the plan sha256 {step.PlanDigest[..Math.Min(12, step.PlanDigest.Length)]}…";
        return new JsonObject
        {
            ["type"] = "actions",
            ["block_id"] = $"approval:{step.StepId}",
            ["elements"] = new JsonArray(
                Button(ApproveAction, "Approve", "primary", value, Confirm("Approve the revert?", $"This will {what} now.", "Approve")),
                Button(RejectAction, "Reject", "danger", value, Confirm("Reject the revert?", $"Step {step.StepId} will not be reverted; the rollback reports it not approved.", "Reject")),
                new JsonObject { ["type"] = "button", ["action_id"] = OpenAction, ["text"] = PlainText("Open ops page"), ["url"] = opsPageUrl }),
        };
    }

    /// <summary>The decision a click asks for, or null when the action is not one of ours or its value does not parse.</summary>
    public static ButtonClick? Read(string? actionId, string? value)
    {
        if (actionId is not (ApproveAction or RejectAction) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize<ButtonValue>(value);
            return parsed is { RollbackId: { Length: > 0 }, StepId: { Length: > 0 } }
                ? new ButtonClick(actionId == ApproveAction, parsed.RollbackId, parsed.StepId, parsed.PlanDigest)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonObject Button(string actionId, string text, string style, string value, JsonObject confirm) => new()
    {
        ["type"] = "button",
        ["action_id"] = actionId,
        ["text"] = PlainText(text),
        ["style"] = style,
        ["value"] = value,
        ["confirm"] = confirm,
    };

    private static JsonObject Confirm(string title, string text, string confirm) => new()
    {
        ["title"] = PlainText(title),
        ["text"] = PlainText(text),
        ["confirm"] = PlainText(confirm),
        ["deny"] = PlainText("Cancel"),
    };

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text };

    private sealed record ButtonValue(string RollbackId, string StepId, string? PlanDigest);
}

/// <summary>A click on Approve or Reject: the step it names and the plan it was shown.</summary>
public sealed record ButtonClick(bool Approve, string RollbackId, string StepId, string? PlanDigest);
