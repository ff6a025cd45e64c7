-- | Runs a @mesos-local@ process for a test: binary from @MESOS_LOCAL_BIN@,
-- else @../../target/debug/mesos-local@ (relative to bindings/haskell).
module MesosLocal
  ( withMesosLocal
  , mesosLocalBinary
  , adminFault
  , getState
  , taskStateIn
  ) where

import           Control.Concurrent       (forkIO)
import           Control.Concurrent.MVar
import           Control.Exception        (bracket, throwIO, ErrorCall (..), try, SomeException)
import           Control.Monad            (void)
import           Data.List                (isPrefixOf, stripPrefix)
import           System.Environment       (lookupEnv)
import           System.Exit              (ExitCode)
import           System.IO
import           System.Process
import           System.Timeout           (timeout)

-- | The mesos-local binary to run.
mesosLocalBinary :: IO FilePath
mesosLocalBinary = maybe "../../target/debug/mesos-local" id <$> lookupEnv "MESOS_LOCAL_BIN"

-- | POST /admin/faults/NAME?QUERY to a mesos-local started with @--admin@;
-- returns the response (status line and body). Uses bash's /dev/tcp, so the
-- suite needs no HTTP library.
adminFault :: String -> String -> String -> IO String
adminFault master name query =
  httpRequest master "POST" ("/admin/faults/" ++ name ++ (if null query then "" else '?' : query))

-- | GET /state: the cluster's JSON state document (with the response head).
getState :: String -> IO String
getState master = httpRequest master "GET" "/state"

-- | The "state" of the task with this id in a /state document, if listed.
taskStateIn :: String -> String -> Maybe String
taskStateIn taskId document = go document
  where
    key = "\"id\":\"" ++ taskId ++ "\""
    go [] = Nothing
    go text@(_ : rest)
      | key `isPrefixOf` text = stateAfter text
      | otherwise = go rest
    stateAfter text = case breakOn "\"state\":\"" text of
      Just after -> Just (takeWhile (/= '"') after)
      Nothing -> Nothing
    breakOn needle text = case text of
      [] -> Nothing
      _ | needle `isPrefixOf` text -> Just (drop (length needle) text)
      _ : rest -> breakOn needle rest

httpRequest :: String -> String -> String -> IO String
httpRequest master method path = do
  let (host, port) = fmap (drop 1) (break (== ':') master)
      -- printf format: a literal % must be doubled.
      target = concatMap (\c -> if c == '%' then "%%" else [c]) path
      script = unlines
        [ "exec 3<>/dev/tcp/" ++ host ++ "/" ++ port
        , "printf '" ++ method ++ " " ++ target ++ " HTTP/1.1\\r\\nHost: " ++ master
            ++ "\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' >&3"
        , "cat <&3" ]
  (_, out, err) <- readProcessWithExitCode "bash" ["-c", script] ""
  return (out ++ err)

-- | Start mesos-local on a free loopback port with the extra arguments, wait
-- (at most 60 s) for its "mesos-local: listening on http://IP:PORT" line, run
-- the action with "IP:PORT", then stop the process.
withMesosLocal :: [String] -> (String -> IO a) -> IO a
withMesosLocal extraArgs action = do
  binary <- mesosLocalBinary
  let args = ["--ip", "127.0.0.1", "--port", "0", "--log-level", "warn"] ++ extraArgs
      process = (proc binary args) { std_out = CreatePipe, std_err = Inherit, std_in = NoStream }
  bracket (createProcess process) stopProcess $ \(_, Just out, _, handle) -> do
    ready <- newEmptyMVar
    -- Keep draining stdout so the process never blocks on a full pipe.
    void $ forkIO $ do
      let loop = do
            line <- try (hGetLine out) :: IO (Either SomeException String)
            case line of
              Left _ -> void (tryPutMVar ready Nothing)
              Right l -> do
                case stripPrefix "mesos-local: listening on " l of
                  Just url -> void (tryPutMVar ready (Just (hostPort url)))
                  Nothing -> return ()
                loop
      loop
    address <- timeout (60 * 1000000) (takeMVar ready)
    case address of
      Just (Just hp) -> action hp
      Just Nothing -> do
        code <- getProcessExitCode handle
        throwIO (ErrorCall ("mesos-local exited before listening: " ++ show (code :: Maybe ExitCode)))
      Nothing -> throwIO (ErrorCall "mesos-local did not print its listening line within 60 s")
  where
    hostPort url = maybe url (takeWhile (/= '/')) (stripPrefix "http://" url)
    stopProcess (_, _, _, handle) = do
      terminateProcess handle
      done <- timeout (10 * 1000000) (waitForProcess handle)
      case done of
        Just _ -> return ()
        Nothing -> do
          -- SIGTERM ignored: kill it for good.
          mpid <- getPid handle
          case mpid of
            Just pid -> void (try (callProcess "kill" ["-9", show pid]) :: IO (Either SomeException ()))
            Nothing -> return ()
          void (timeout (5 * 1000000) (waitForProcess handle))
