using System.Net.Http.Headers;
using RollbackFunctions.Integration.Tests.Api;

namespace RollbackFunctions.Integration.Tests.Client;

/// <summary>
/// A client generated from <c>docs/openapi.json</c> works: it is the one the document generates
/// today, it compiles (it is part of this project), and with a key per role it registers a deploy,
/// starts its rollback and reads it to the end on the local runtime.
/// </summary>
public sealed class RollbackApiClientTests(AccessApiTests.KeyedRuntime fixture) : IClassFixture<AccessApiTests.KeyedRuntime>
{
    [Fact]
    public async Task CommittedClient_IsTheOneTheDocumentGenerates()
    {
        var generated = await ApiClientCode.GenerateAsync();
        if (Environment.GetEnvironmentVariable(OpenApiDocumentTests.WriteSetting) == "1")
        {
            await File.WriteAllTextAsync(ApiClientCode.CommittedFile, generated);
        }

        Assert.True(
            File.Exists(ApiClientCode.CommittedFile) && generated == await File.ReadAllTextAsync(ApiClientCode.CommittedFile),
            $"Client/RollbackApiClient.g.cs is not what docs/openapi.json generates; after regenerating the document run {OpenApiDocumentTests.WriteSetting}=1 ./scripts/test.sh --filter RollbackApiClientTests and commit it");
    }

    [SkippableFact]
    public async Task GeneratedClient_WithKeys_RegistersADeploy_AndReadsItsRollbackToTheEnd()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        using var ciHttp = KeyedHttp(runtime, AccessApiTests.CiSecret);
        using var oncallHttp = KeyedHttp(runtime, AccessApiTests.OncallSecret);
        using var readerHttp = KeyedHttp(runtime, AccessApiTests.ReaderSecret);
        var (ci, oncall, reader) = (new RollbackApiClient(ciHttp), new RollbackApiClient(oncallHttp), new RollbackApiClient(readerHttp));
        var id = Repo.UniqueName("client");
        var deploy = new DeployRegistration
        {
            DeployId = id,
            Service = Repo.UniqueName("svc"),
            Environment = "prod",
            Version = "2.0.0",
            PreviousVersion = "1.9.0",
            Steps =
            {
                new StepRegistration { Id = "schema", Kind = "webhook", Params = Webhook(receiver.UrlFor("schema")) },
                new StepRegistration { Id = "rollout", Kind = "webhook", DependsOn = ["schema"], Params = Webhook(receiver.UrlFor("rollout")) },
            },
        };

        var refused = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => reader.RegisterDeployAsync(deploy));
        var registered = await ci.RegisterDeployAsync(deploy);
        await ci.CompleteDeployAsync(id);
        var started = await oncall.StartRollbackAsync(id, new ManualRollbackRequest { Reason = "a client generated from the document", Actor = "client-test" });
        var rollback = await Eventually.ReturnsAsync(
            async () => await reader.GetRollbackAsync(started.RollbackId) is { Phase: RollbackPhase.Succeeded or RollbackPhase.Failed or RollbackPhase.Aborted } ended ? ended : null,
            TimeSpan.FromSeconds(60),
            () => $"rollback {started.RollbackId} did not end");

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal(DeployState.Active, registered.State);
        Assert.Equal(RollbackPhase.Succeeded, rollback.Phase);
        Assert.Equal(["rollout", "schema"], rollback.Steps.OrderBy(s => s.Level).Select(s => s.StepId));
        Assert.All(rollback.Steps, step => Assert.Equal(StepStatus.Reverted, step.Status));
    }

    /// <summary>A client as a team would hold it: the runtime's address, and one of its keys as a bearer token.</summary>
    private static HttpClient KeyedHttp(TestRuntime runtime, string secret) => new()
    {
        BaseAddress = runtime.Http.BaseAddress,
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", secret) },
    };

    private static JsonObject Webhook(string revertUrl) => new() { AdditionalProperties = { ["revertUrl"] = revertUrl } };
}
