using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// The product as its users run it: Prometheus evaluates a rule, a real Alertmanager sends its
/// webhook, the rollback reverts, the alert clears, Alertmanager sends "resolved", and that
/// resolution verifies the rollback.
/// </summary>
public sealed class RealAlertmanagerTests
{
    [SkippableFact]
    public async Task RuleFires_AlertmanagerWebhookRollsBack_ResolvedNotificationVerifiesIt()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync("Rollback:Orchestration:VerifyInterval=00:00:00.500");
        var service = $"am{Guid.NewGuid():N}"[..12];
        await using var alertmanager = await AlertmanagerProcess.StartAsync($"{runtime.Http.BaseAddress}api/alerts/alertmanager");
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0, service, alertmanager.Port);
        receiver.OnReceived = call =>
        {
            if (call.Path == "rollout")
            {
                prometheus.ErrorRatio = 0; // the revert fixes production; the rule stops firing
            }
        };
        var id = $"{service}-1";
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(id, receiver, service));

        prometheus.ErrorRatio = 0.4; // the bad deploy shows
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(120));

        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        Assert.Equal("CheckoutErrorRatioHigh", rollback["trigger"]!["alerts"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("rollout", receiver.Paths[0]);
        Assert.Equal("schema", receiver.Paths[^1]);
        Assert.Contains("resolved", rollback["summary"]!.GetValue<string>());
    }
}
