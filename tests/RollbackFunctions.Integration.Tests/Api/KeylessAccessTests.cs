using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>Without configured keys: open on loopback only (local runtime), closed everywhere (the Functions app).</summary>
public sealed class KeylessAccessTests
{
    [Theory]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("::1", false, true)]
    [InlineData("10.1.2.3", false, false)]
    [InlineData("127.0.0.1", true, false)]
    public void Authorize_WithoutKeys_AllowsOnlyLoopbackAndNothingWhenTheHostRequiresKeys(string remote, bool requireKeys, bool allowed)
    {
        var access = new ApiAccess(Options.Create(new AccessOptions { RequireKeys = requireKeys }));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        var (caller, refusal) = access.Authorize(context.Request, ApiRole.Operator);

        Assert.Equal(allowed, caller is not null);
        Assert.Equal(allowed, refusal is null);
    }

    [SkippableFact]
    public async Task LocalRuntime_WithoutKeys_ListensOnLoopbackEvenWhenAskedForEveryInterface()
    {
        await using var runtime = await TestRuntime.StartAsync("urls=http://0.0.0.0:0");

        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(runtime.Http.BaseAddress!.Host)), runtime.Http.BaseAddress.ToString());
        using var health = await runtime.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
