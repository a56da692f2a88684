using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.FeatureFlags;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>The featureFlag executor against flag stores at the wire: a generic flag API and App Configuration's signed key-value API.</summary>
public sealed class FeatureFlagExecutorTests : IAsyncLifetime
{
    private FakeFlagService service = null!;
    private FeatureFlagExecutor executor = null!;
    private ServiceProvider http = null!;

    private static StepRevertRequest Revert(JsonObject parameters, StepPreparation prepared) =>
        new("rb-d1", "d1", "flag", "featureFlag", parameters, "1.4.3", "1.4.2") { Captured = prepared.Captured };

    private async Task<StepPreparation> PrepareAsync(JsonObject parameters) =>
        await executor.PrepareAsync(new StepPrepareRequest("d1", "flag", "featureFlag", parameters), default);

    /// <summary>
    /// Found by review (SAFETY.md 10, seam of issue 18's summary rule and issue 17's three states): a text flag's
    /// captured value is a digest in every summary, yet the revert detail and the drift sentence (step
    /// rows: replies, ops page, pages, report) print it, and the redactor only knows configured secrets.
    /// </summary>
    [Fact]
    public async Task TextFlagValue_NeverShownInRevertDetailOrDriftSentence()
    {
        service.Flags["db-conn"] = JsonValue.Create("Server=db;Password=hunter2-s3cret");
        var parameters = new JsonObject { ["provider"] = "flags", ["flag"] = "db-conn" };
        var prepared = await PrepareAsync(parameters);
        Assert.DoesNotContain("hunter2", CapturedSummary.Line(prepared.Captured), StringComparison.Ordinal); // the summary rule hides it
        StepObserveRequest Observe() => new("d1", "flag", "featureFlag", parameters) { Captured = prepared.Captured };
        service.Flags["db-conn"] = JsonValue.Create("Server=db2;Password=deploy-s3cret"); // the deploy
        var after = (await executor.ObserveAsync(Observe(), default)).State!;
        service.Flags["db-conn"] = JsonValue.Create("Server=db3;Password=hotfix-s3cret"); // a hotfix
        var now = (await executor.ObserveAsync(Observe(), default)).State!;

        var (judgement, why) = ThreeStates.Judge(prepared.Before, after, now, maybeApplied: false);
        var result = await executor.RevertAsync(Revert(parameters, prepared), default);

        Assert.Equal(RevertJudgement.Drift, judgement);
        Assert.DoesNotContain("s3cret", why, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Detail, StringComparison.Ordinal);
    }

    /// <summary>Issue 19: the flag read back, the value to restore checked to be there; nothing written, text values never shown.</summary>
    [Fact]
    public async Task Rehearse_ReadsTheFlagBack_WritesNothing_AndShowsNoTextValue()
    {
        service.Flags["db-conn"] = JsonValue.Create("Server=db;Password=hunter2-s3cret");
        var parameters = new JsonObject { ["provider"] = "flags", ["flag"] = "db-conn" };
        var prepared = await PrepareAsync(parameters);
        service.Flags["db-conn"] = JsonValue.Create("Server=db2;Password=deploy-s3cret"); // the deploy

        var rehearsal = await executor.RehearseAsync(Revert(parameters, prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, rehearsal.Outcome);
        Assert.Contains("the revert would write back", rehearsal.Detail);
        Assert.DoesNotContain("s3cret", rehearsal.Detail, StringComparison.Ordinal);
        Assert.Empty(service.Writes);
    }

    [Fact]
    public async Task Rehearse_FlagGoneFromTheStore_Fails()
    {
        service.Flags["new-checkout"] = JsonValue.Create(false);
        var parameters = new JsonObject { ["provider"] = "flags", ["flag"] = "new-checkout" };
        var prepared = await PrepareAsync(parameters);
        service.Flags.TryRemove("new-checkout", out _);

        var rehearsal = await executor.RehearseAsync(Revert(parameters, prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Fails, rehearsal.Outcome);
        Assert.Contains("does not exist", rehearsal.Detail);
    }

    [Fact]
    public async Task Http_Revert_PutsBackTheValueReadAtRegistration_AndConfirmsIt()
    {
        service.Flags["new-checkout"] = JsonValue.Create(false);
        var parameters = new JsonObject { ["provider"] = "flags", ["flag"] = "new-checkout" };
        var prepared = await PrepareAsync(parameters);
        service.Flags["new-checkout"] = JsonValue.Create(true); // the deploy

        var result = await executor.RevertAsync(Revert(parameters, prepared), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal("flag new-checkout on flags back to false (was true)", result.Detail);
        Assert.False(service.Flags["new-checkout"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Http_RevertTwice_WritesOnce()
    {
        service.Flags["new-checkout"] = JsonValue.Create(false);
        var parameters = new JsonObject { ["provider"] = "flags", ["flag"] = "new-checkout" };
        var prepared = await PrepareAsync(parameters);
        service.Flags["new-checkout"] = JsonValue.Create(true);

        await executor.RevertAsync(Revert(parameters, prepared), default);
        var second = await executor.RevertAsync(Revert(parameters, prepared), default);

        Assert.Contains("already false", second.Detail);
        Assert.Single(service.Writes);
    }

    [Fact]
    public async Task Http_PreviousValueGiven_IsUsedWithoutReadingTheStore()
    {
        service.Flags["rate-limit"] = JsonValue.Create(500);
        var parameters = new JsonObject { ["provider"] = "flags", ["flag"] = "rate-limit", ["previousValue"] = new JsonObject { ["rps"] = 100 } };

        var result = await executor.RevertAsync(Revert(parameters, await PrepareAsync(parameters)), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal("""{"rps":100}""", service.Flags["rate-limit"]!.ToJsonString());
    }

    [Fact]
    public async Task Http_UnknownFlag_IsRefusedAtRegistration()
    {
        var prepared = await PrepareAsync(new JsonObject { ["provider"] = "flags", ["flag"] = "ghost" });

        Assert.False(prepared.Transient);
        Assert.Contains("does not exist", prepared.Problem);
    }

    [Fact]
    public async Task Http_WrongToken_IsAFinalAnswer_NotRetried()
    {
        service.Flags["new-checkout"] = JsonValue.Create(false);
        var badToken = new FeatureFlagExecutor(
            Options.Create(Configure(token: "wrong")), http.GetRequiredService<IHttpClientFactory>(), TimeProvider.System);

        var prepared = await badToken.PrepareAsync(new StepPrepareRequest("d1", "flag", "featureFlag", new JsonObject { ["provider"] = "flags", ["flag"] = "new-checkout" }), default);

        Assert.False(prepared.Transient);
        Assert.Contains("answered 401", prepared.Problem);
        Assert.DoesNotContain("wrong", prepared.Problem);
    }

    [Fact]
    public async Task AppConfiguration_Revert_SignsEveryRequest_AndRestoresTheFeatureFlag()
    {
        const string key = ".appconfig.featureflag/new-checkout";
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":false,"conditions":{"client_filters":[]}}""";
        var parameters = new JsonObject { ["provider"] = "appconfig", ["flag"] = key, ["label"] = "prod" };
        var prepared = await PrepareAsync(parameters);
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":true,"conditions":{"client_filters":[]}}""";

        var result = await executor.RevertAsync(Revert(parameters, prepared), default);

        Assert.True(prepared.Problem is null, prepared.Problem);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("\"enabled\":false", service.KeyValues[(key, "prod")]);
    }

    [Fact]
    public async Task AppConfiguration_Revert_KeepsTheContentTypeAndTags_AndWritesOnlyOverWhatItRead()
    {
        const string key = ".appconfig.featureflag/new-checkout";
        const string featureFlag = "application/vnd.microsoft.appconfig.ff+json;charset=utf-8";
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":false}""";
        service.ContentTypes[(key, "prod")] = featureFlag;
        service.Tags[(key, "prod")] = new JsonObject { ["team"] = "payments" };
        var parameters = new JsonObject { ["provider"] = "appconfig", ["flag"] = key, ["label"] = "prod" };
        var prepared = await PrepareAsync(parameters);
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":true}""";
        var etag = service.ETagOf(key, "prod");

        var result = await executor.RevertAsync(Revert(parameters, prepared), default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        Assert.Equal(featureFlag, service.ContentTypes[(key, "prod")]);
        Assert.Equal("payments", (string?)service.Tags[(key, "prod")]["team"]);
        Assert.Equal($"PUT {key} If-Match=\"{etag}\"", Assert.Single(service.Writes));
    }

    /// <summary>The read-write window: the write's If-Match is the ETag the three-state rule judged, and a 412 is not read again and written over.</summary>
    [Fact]
    public async Task AppConfiguration_ChangedAfterTheJudgedRead_WriteRefusedWith412_NotWrittenOver()
    {
        const string key = ".appconfig.featureflag/new-checkout";
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":false}""";
        var parameters = new JsonObject { ["provider"] = "appconfig", ["flag"] = key, ["label"] = "prod" };
        var prepared = await PrepareAsync(parameters);
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":true}""";
        var observed = await executor.ObserveAsync(new StepObserveRequest("d1", "flag", "featureFlag", parameters), default);
        var judged = service.ETagOf(key, "prod");
        service.KeyValues[(key, "prod")] = """{"id":"new-checkout","enabled":true,"hotfix":1}""";

        var refused = await Assert.ThrowsAsync<TargetChangedException>(() => executor.RevertAsync(Revert(parameters, prepared) with { ObservedVersion = observed.Version }, default));

        Assert.Equal(judged, observed.Version);
        Assert.Contains("412", refused.Message);
        Assert.Empty(service.Writes);
        Assert.Contains("hotfix", service.KeyValues[(key, "prod")]);
    }

    [Theory]
    [InlineData("""{"provider":"unleash","flag":"x"}""", "params.provider 'unleash' is not a configured provider")]
    [InlineData("""{"provider":"flags","flag":"../admin"}""", "params.flag")]
    [InlineData("""{"provider":"flags","flag":"a b"}""", "params.flag")]
    [InlineData("""{"provider":"flags","flag":"x","url":"http://169.254.169.254/"}""", "params.url is not a parameter")]
    public void ValidateParams_NamesTheField(string parameters, string named) =>
        Assert.Contains(named, executor.ValidateParams(JsonNode.Parse(parameters)!.AsObject()));

    [Fact]
    public void Options_AppConfigurationWithABadConnectionString_FailsValidation()
    {
        var options = new FeatureFlagOptions { Providers = { ["bad"] = new FlagProviderOptions { Type = FlagProviderType.AppConfiguration, ConnectionString = "Endpoint=https://x.azconfig.io;Id=a;Secret=not base64!" } } };

        Assert.Contains(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)), r => r.ErrorMessage!.Contains("not base64"));
    }

    private FeatureFlagOptions Configure(string token = FakeFlagService.Token) => new()
    {
        Providers =
        {
            ["flags"] = new FlagProviderOptions
            {
                BaseUrl = service.BaseUrl,
                GetPath = "/api/flags/{flag}",
                SetPath = "/api/flags/{flag}",
                Headers = { ["Authorization"] = $"Bearer {token}" },
            },
            ["appconfig"] = new FlagProviderOptions { Type = FlagProviderType.AppConfiguration, ConnectionString = service.AppConfigConnectionString },
        },
    };

    public async Task InitializeAsync()
    {
        service = await FakeFlagService.StartAsync();
        var services = new ServiceCollection();
        services.AddHttpClient(FlagStore.HttpClientName);
        http = services.BuildServiceProvider();
        executor = new FeatureFlagExecutor(Options.Create(Configure()), http.GetRequiredService<IHttpClientFactory>(), TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await http.DisposeAsync();
        await service.DisposeAsync();
    }
}
