using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AbandonedCart.Activities.Customers;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:Huawei</c>: Push Kit with OAuth 2.0 client credentials.</summary>
public sealed class HuaweiOptions : IProviderOptions
{
    public const string Section = "Providers:Huawei";

    public string AppId { get; set; } = string.Empty;

    /// <summary>Usually the app id.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>The app secret: configuration or environment only.</summary>
    public string ClientSecret { get; set; } = string.Empty;

    public int TtlSeconds { get; set; } = 3600;

    public string TokenUrl { get; set; } = "https://oauth-login.cloud.huawei.com/oauth2/v3/token";

    public string BaseUrl { get; set; } = "https://push-api.cloud.huawei.com";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(AppId) || string.IsNullOrWhiteSpace(ClientId) || string.IsNullOrWhiteSpace(ClientSecret))
        {
            yield return "AppId, ClientId and ClientSecret are required";
        }

        if (!Uri.TryCreate(TokenUrl, UriKind.Absolute, out _) || !Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
        {
            yield return "TokenUrl and BaseUrl must be absolute URLs";
        }
    }
}

/// <summary>The Huawei access token, shared by every send until a minute before it expires.</summary>
public sealed class HuaweiAccessToken(TimeProvider time) : IDisposable
{
    public CachedToken Cache { get; } = new(time);

    public TimeProvider Time => time;

    public void Dispose() => Cache.Dispose();
}

/// <summary>Huawei Push Kit <c>POST /v1/{appId}/messages:send</c>; success is the body code <c>80000000</c>.</summary>
public sealed class HuaweiPushSender(HttpClient http, IOptions<HuaweiOptions> options, HuaweiAccessToken accessToken) : IPushTokenSender
{
    public const string Name = "huawei";
    private const string Success = "80000000";

    // Push Kit result codes: some tokens invalid, all tokens invalid; the access token expired.
    private static readonly HashSet<string> BadTokenCodes = ["80100000", "80300007"];
    private const string AccessTokenExpired = "80200003";

    public string Provider => Name;

    public string TokenProperty => "huawei_token";

    public string? TokenOf(CustomerProfile customer) => customer?.HuaweiToken;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var o = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{o.BaseUrl.TrimEnd('/')}/v1/{Uri.EscapeDataString(o.AppId)}/messages:send"))
        {
            Content = JsonContent.Create(Body(message, token, o.TtlSeconds)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await accessToken.Cache.GetAsync(FetchTokenAsync, cancellationToken));
        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken, (_, body) => Classify(Code(body)), TokenProperty);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        var code = Code(answer);
        if (code != Success)
        {
            // Push Kit reports some failures in a 200 body.
            throw ProviderErrors.FromStatus(Name, 400, answer, null, (_, _) => Classify(code), TokenProperty);
        }

        using var json = JsonDocument.Parse(answer);
        return new ProviderReceipt(Name, json.RootElement.TryGetProperty("requestId", out var id) ? id.GetString() : null);
    }

    private async Task<(string, DateTimeOffset)> FetchTokenAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(o.TokenUrl))
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", o.ClientId), new("client_secret", o.ClientSecret)]),
        };
        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var token = json.RootElement.GetProperty("access_token").GetString()!;
        var lifetime = TimeSpan.FromSeconds(json.RootElement.TryGetProperty("expires_in", out var e) ? e.GetInt32() : 3600);
        return (token, accessToken.Time.GetUtcNow() + lifetime - TimeSpan.FromMinutes(1));
    }

    private string? Classify(string? code)
    {
        if (code == AccessTokenExpired)
        {
            accessToken.Cache.Invalidate();
            return ProviderErrors.ProviderUnavailable;
        }

        return code is not null && BadTokenCodes.Contains(code) ? ProviderErrors.TokenInvalid : null;
    }

    private static string? Code(string body) => ProviderErrors.ReadJson(body, root => root.TryGetProperty("code", out var c) ? c.GetString() : null);

    private static Dictionary<string, object> Body(OutboundMessage message, string token, int ttlSeconds)
    {
        var notification = new Dictionary<string, object> { ["title"] = MessageText.Title(message), ["body"] = MessageText.Body(message) };
        if (MessageText.Image(message) is { } image)
        {
            notification["image"] = image;
        }

        var androidNotification = new Dictionary<string, object>(notification)
        {
            // Push Kit shows only the latest of the notifications sharing a tag: a retried send replaces the earlier copy.
            ["tag"] = MessageText.CollapseId(message.IdempotencyKey),

            // type 2: open a URL on tap; type 3: open the app.
            ["click_action"] = MessageText.Link(message) is { } link
                ? new Dictionary<string, object> { ["type"] = 2, ["url"] = link }
                : new Dictionary<string, object> { ["type"] = 3 },
        };
        return new()
        {
            ["validate_only"] = false,
            ["message"] = new Dictionary<string, object>
            {
                ["notification"] = notification,
                ["android"] = new Dictionary<string, object>
                {
                    ["urgency"] = "HIGH",
                    ["ttl"] = $"{ttlSeconds}s",
                    ["bi_tag"] = message.MessageId.ToString(CultureInfo.InvariantCulture),
                    ["notification"] = androidNotification,
                },
                ["token"] = new[] { token },
            },
        };
    }
}
