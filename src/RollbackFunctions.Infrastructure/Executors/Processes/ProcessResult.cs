namespace RollbackFunctions.Infrastructure.Executors.Processes;

/// <summary>How a program ended; output already redacted.</summary>
/// <param name="ExitCode">The program's exit code; -1 when it was killed.</param>
/// <param name="StandardOutput">What it printed, redacted.</param>
/// <param name="StandardError">What it printed on stderr, redacted.</param>
/// <param name="TimedOut">It was stopped because its time was up (or the run was cancelled).</param>
/// <param name="EndedBy">The signal that ended it (<c>SIGINT</c>, <c>SIGTERM</c>, <c>SIGKILL</c>), null when it ended by itself.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut, string? EndedBy = null)
{
    /// <summary>The last lines of what the program said, for a step's detail.</summary>
    public string Tail(int maxLength = 400)
    {
        var text = (StandardError.Trim().Length > 0 ? StandardError : StandardOutput).Trim();
        text = text.Length <= maxLength ? text : "…" + text[^maxLength..];
        return EndedBy is null ? text : $"{text} (ended by {EndedBy})";
    }
}
