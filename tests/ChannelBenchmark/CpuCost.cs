using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;
using Microsoft.Extensions.Options;

/// <summary>
/// CPU µs per send and per piece, one thread, against an in-memory handler (no sockets, no peer): what a sender costs
/// on top of the HttpClient call itself. Process CPU time, best of five rounds, so other work on the machine shows up
/// far less than in the sends/s figures.
/// </summary>
internal static class CpuCost
{
    public static void Run(string filter)
    {
        using var http = new HttpClient(new InMemoryPeer());
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var uaPublic = WebPushEncryption.PublicBytes(ua);
        var auth = RandomNumberGenerator.GetBytes(16);
        var webPushOptions = Options.Create(new WebPushOptions
        {
            Subject = "mailto:ops@shop.example",
            PublicKey = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
            PrivateKey = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
        });
        using var vapid = new VapidSigner(webPushOptions);
        var webPush = new WebPushSender(http, webPushOptions, vapid, Options.Create(new WebPushEndpointOptions { AllowedHosts = ["peer.invalid"] }));
        var sendGrid = new SendGridEmailSender(http, Options.Create(new SendGridOptions
        {
            ApiKey = "SG.bench", FromEmail = "shop@shop.example", TemplateId = "d-bench", UnsubscribeGroupId = 1, BaseUrl = "http://peer.invalid",
        }));
        var message = new OutboundMessage
        {
            MessageId = 1,
            IdempotencyKey = "bench",
            Channel = Channels.Email,
            Journey = Journeys.AbandonedCart,
            Step = 1,
            Customer = new CustomerProfile
            {
                Id = "c1",
                Email = "ana@example.com",
                WebPush = new WebPushSubscription("https://peer.invalid/push/sub", Base64Url.EncodeToString(uaPublic), Base64Url.EncodeToString(auth)),
                Consents = new HashSet<string>(Consents.All),
            },
            Items = [new CartItem { Sku = "S1", Name = "Trail shoes", Price = 89.9m, ImageUrl = "https://shop.example/i.jpg" }],
            CartValue = 89.9m,
            ClickUrl = "https://cart.example/t/c/x",
        };
        var plaintext = Encoding.UTF8.GetBytes("{\"title\":\"You left something in your cart\",\"body\":\"Trail shoes (89.90 EUR) is still in your cart.\"}");
        var rawBody = new byte[600];
        using var sender = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var imported = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = WebPushEncryption.Point(uaPublic) });
        using var uaKey = imported.PublicKey;
        var endpoint = new Uri(message.Customer.WebPush.Endpoint);

        (string Name, int Count, Action Operation)[] pieces =
        [
            ("raw HttpClient POST, 600 bytes", 20_000, () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "http://peer.invalid/v3/mail/send") { Content = new ByteArrayContent(rawBody) };
                using var response = http.Send(request);
            }),
            ("email (SendGrid) SendAsync", 5_000, () => sendGrid.SendAsync(message, CancellationToken.None).GetAwaiter().GetResult()),
            ("web push SendAsync", 1_000, () => webPush.SendAsync(message, CancellationToken.None).GetAwaiter().GetResult()),
            ("web push: Encrypt, as the sender does (new key pair, random salt)", 1_000, () => WebPushEncryption.Encrypt(plaintext, uaPublic, auth)),
            ("web push: Encrypt through ECDiffieHellman (new key pair, random salt)", 1_000, () =>
            {
                using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
                WebPushEncryption.Encrypt(plaintext, uaPublic, auth, ephemeral, RandomNumberGenerator.GetBytes(16));
            }),
            ("web push, ECDiffieHellman: new P-256 key pair + public bytes", 1_000, () =>
            {
                using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
                WebPushEncryption.PublicBytes(ephemeral);
            }),
            ("web push, ECDiffieHellman: import p256dh, Create(ECParameters)", 1_000, () =>
            {
                using var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = WebPushEncryption.Point(uaPublic) });
                using var pub = key.PublicKey;
            }),
            ("web push, ECDiffieHellman: agreement, DeriveRawSecretAgreement", 1_000, () => sender.DeriveRawSecretAgreement(uaKey)),
            ("web push: VAPID header (cached per origin)", 100_000, () => vapid.AuthorizationFor(endpoint)),
        ];

        Console.WriteLine($"CPU µs per operation, one thread, in-memory peer, {Environment.ProcessorCount} cores");
        Console.WriteLine("| operation | CPU µs |");
        Console.WriteLine("|---|---:|");
        foreach (var (name, count, operation) in pieces.Where(p => p.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Measure(count, operation):0.0} |"));
        }
    }

    private static double Measure(int count, Action operation)
    {
        for (var i = 0; i < count / 5; i++)
        {
            operation();
        }

        using var process = Process.GetCurrentProcess();
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            process.Refresh();
            var start = process.TotalProcessorTime;
            for (var i = 0; i < count; i++)
            {
                operation();
            }

            process.Refresh();
            best = Math.Min(best, (process.TotalProcessorTime - start).TotalMicroseconds / count);
        }

        return best;
    }

    /// <summary>Answers every request at once: 201 for push paths, 202 otherwise, after reading the body.</summary>
    private sealed class InMemoryPeer : HttpMessageHandler
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Content?.ReadAsStream(cancellationToken).CopyTo(Stream.Null);
            var push = request.RequestUri!.AbsolutePath.StartsWith("/push/", StringComparison.Ordinal);
            return new HttpResponseMessage(push ? HttpStatusCode.Created : HttpStatusCode.Accepted) { Content = new ByteArrayContent([]) };
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));
    }
}
