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

    [Theory]
    [InlineData("Forwarded", "for=203.0.113.7")]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("X-Real-IP", "203.0.113.7")]
    public void Authorize_WithoutKeys_RefusesARequestAProxyOnThisHostForwarded(string header, string value)
    {
        var access = new ApiAccess(Options.Create(new AccessOptions()));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers[header] = value;

        var (caller, refusal) = access.Authorize(context.Request, ApiRole.Operator);

        Assert.Null(caller);
        Assert.NotNull(refusal);
    }

    [SkippableTheory]
    [InlineData("Kestrel:Endpoints:public:Url=http://0.0.0.0:0")]
    [InlineData("Kestrel:Endpoints:public:Url=http://*:0")]
    [InlineData("urls=http://0.0.0.0:0")]
    [InlineData("urls=http://127.0.0.1:0;http://[::]:0")]
    public async Task LocalRuntime_WithoutKeys_RefusesToStartOnANonLoopbackEndpoint(string setting)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var runtime = await TestRuntime.StartAsync(setting);
        });

        Assert.Contains("loopback", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task LocalRuntime_WithoutKeys_StartsOnALoopbackKestrelEndpoint()
    {
        await using var runtime = await TestRuntime.StartAsync("Kestrel:Endpoints:local:Url=http://127.0.0.1:0");

        using var health = await runtime.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
