using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Sends a notice from outside an orchestration (a policy refusal, "would roll back" for an alert on
/// an observe-mode deploy) on the durable path: a <see cref="NoticeOrchestrator"/> retries it like
/// a rollback's page and the deploy records whether it was delivered. Scheduling is the only thing
/// that can fail here, and it fails the request, so the alert sender's retry tries again.
/// </summary>
public static class NoticeScheduler
{
    /// <summary>
    /// Schedules <paramref name="notice"/> once per <see cref="NoticeRequest.RecordKey"/>: the
    /// instance id is derived from it, so a retried request does not schedule it twice.
    /// </summary>
    public static async Task ScheduleAsync(DurableTaskClient durable, NoticeRequest notice, CancellationToken cancellationToken)
    {
        var instanceId = $"notice-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{notice.DeployId}\n{notice.RecordKey}")))[..32]}";
        if (await durable.GetInstanceAsync(instanceId, cancellationToken) is not null)
        {
            return;
        }

        await durable.ScheduleNewOrchestrationInstanceAsync(
            nameof(NoticeOrchestrator), new NoticeOrchestration(notice, NoticeRetry.DefaultFirstRetry), new StartOrchestrationOptions(instanceId), cancellationToken);
    }
}
